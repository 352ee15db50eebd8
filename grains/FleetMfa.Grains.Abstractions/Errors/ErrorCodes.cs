namespace FleetMfa.Grains;

/// <summary>The stable <c>code</c> values of problem responses (DESIGN §8). Clients switch on these; never rename one.</summary>
public static class ErrorCodes
{
    public const string Validation = "validation";
    public const string NotFound = "not-found";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string RateLimited = "rate-limited";
    public const string Conflict = "conflict";
    public const string LinuxSshConflict = "linux-ssh-conflict";
    public const string WindowsVersionUnsupported = "windows-version-unsupported";
    public const string MacAuthPluginConflict = "mac-auth-plugin-conflict";
    public const string InvalidCode = "invalid-code";
    public const string EnrollmentExpired = "enrollment-expired";
    public const string EnrollmentNotStarted = "enrollment-not-started";
    public const string Internal = "internal";

    /// <summary>The device is decommissioned: it takes no change, and its id cannot be enrolled again until its record is gone.</summary>
    public const string DeviceDecommissioned = "device-decommissioned";

    /// <summary>The audit trail cannot be written: a mutating call is refused before it changes anything.</summary>
    public const string AuditUnavailable = "audit-unavailable";

    // Rollout outcomes (per device, not problem responses).
    public const string Timeout = "timeout";
    public const string AgentError = "agent-error";
    public const string NoAgent = "no-agent";
    public const string Aborted = "aborted";

    /// <summary>Whether <paramref name="code"/> is one of the per-OS rules that refuse MFA on a device.</summary>
    public static bool IsOsRule(string code) => code is LinuxSshConflict or WindowsVersionUnsupported or MacAuthPluginConflict;
}
