namespace FleetMfa.Protocol.Documents;

/// <summary>The <see cref="AuditEvent.Action"/>s an agent sends.</summary>
public static class AuditActions
{
    public const string Login = "login";

    /// <summary>A file the policy needs had changed (or vanished) and the agent put it back (outcome <c>repaired</c>).</summary>
    public const string PolicyDriftRepaired = "policy-drift-repaired";

    /// <summary>The policy is no longer in effect and the agent could not put it right (outcome <c>unrepairable</c>).</summary>
    public const string PolicyDriftUnrepairable = "policy-drift-unrepairable";

    /// <summary>
    /// A message on the device's <c>desired</c> topic that it did not trust and left unapplied (outcome <c>refused</c>;
    /// <see cref="AuditEvent.Detail"/> holds the reason from <c>UntrustedReasons</c>, never the message).
    /// </summary>
    public const string UntrustedDesiredState = "untrusted-desired-state";
}
