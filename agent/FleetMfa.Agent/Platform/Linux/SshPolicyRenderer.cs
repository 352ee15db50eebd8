using System.Text;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Platform.Linux;

/// <summary>
/// The text the agent writes for SSH MFA: the sshd drop-in and sshd's PAM service, the latter always derived from the
/// machine's original service file so the result depends only on (original, mode, module line).
/// </summary>
public static class SshPolicyRenderer
{
    /// <summary>Marks every line the agent adds or comments out in a PAM service file.</summary>
    public const string Marker = "# fleetmfa-agent";

    /// <summary>The mode a policy asks for; throws <see cref="PolicyException"/> for the combinations the seed forbids.</summary>
    public static SshMode ModeFor(bool mfa, LinuxPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return (mfa, policy.SshPasswordLogin, policy.SshPublicKeyAuth) switch
        {
            (false, _, _) => SshMode.Off,
            (true, true, true) => throw new PolicyException(
                "linux-ssh-conflict: MFA cannot be on while both SSH password login and public-key authentication are allowed"),
            (true, true, false) => SshMode.PasswordThenCode,
            (true, false, true) => SshMode.PublicKeyThenCode,
            (true, false, false) => throw new PolicyException(
                "neither SSH password login nor public-key authentication is allowed: no SSH login could complete with MFA on"),
        };
    }

    /// <summary>The sshd drop-in for <paramref name="mode"/> (not <see cref="SshMode.Off"/>: then there is no drop-in).</summary>
    public static string DropIn(SshMode mode) => mode switch
    {
        SshMode.PasswordThenCode => """
            # Managed by fleetmfa-agent: SSH MFA is on. Password, then a TOTP code, both through keyboard-interactive (PAM).
            # Turning MFA off removes this file; do not edit it.
            UsePAM yes
            KbdInteractiveAuthentication yes
            PasswordAuthentication no
            PubkeyAuthentication no
            AuthenticationMethods keyboard-interactive

            """,
        SshMode.PublicKeyThenCode => """
            # Managed by fleetmfa-agent: SSH MFA is on. A public key, then a TOTP code through keyboard-interactive (PAM).
            # Turning MFA off removes this file; do not edit it.
            UsePAM yes
            PubkeyAuthentication yes
            KbdInteractiveAuthentication yes
            PasswordAuthentication no
            AuthenticationMethods publickey,keyboard-interactive

            """,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "MFA off has no drop-in."),
    };

    /// <summary>
    /// The PAM line that runs the module, with its options. <c>mode=publickey</c> makes the module refuse every login
    /// for which sshd has not already completed a public-key method (<c>SSH_AUTH_INFO_0</c>), enrolled user or not: in
    /// that mode the password stack is not asked, so without that proof the module would be the only factor.
    /// </summary>
    public static string ModuleLine(SshPolicyOptions options, SshMode mode)
    {
        ArgumentNullException.ThrowIfNull(options);
        var modeOption = mode switch
        {
            SshMode.PasswordThenCode => "password",
            SshMode.PublicKeyThenCode => "publickey",
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "MFA off has no module line."),
        };
        var line = new StringBuilder($"auth required {options.PamModule} mode={modeOption} agent={options.AgentExecutable} data_dir={options.DataDirectory}");
        if (options.PamTimingFile is { } timing)
        {
            line.Append(" timing=").Append(timing);
        }

        return line.ToString();
    }

    /// <summary>
    /// sshd's PAM service for <paramref name="mode"/>, from the <paramref name="original"/> file: for password-then-code
    /// the module line goes right after the last password (<c>auth</c>) line, so a wrong password stops the stack before
    /// any code is asked; for key-then-code the original <c>auth</c> lines are commented out (the key already proved who
    /// it is — the module checks that proof itself; PAM asks only for the code). Every other line (account, session,
    /// password) stays as it was.
    /// </summary>
    public static string PamService(string original, SshMode mode, string moduleLine)
    {
        ArgumentNullException.ThrowIfNull(original);
        if (mode == SshMode.Off)
        {
            return original;
        }

        var lines = original.Split('\n').ToList();
        var trailingNewline = lines.Count > 0 && lines[^1].Length == 0;
        if (trailingNewline)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        var authLines = lines.Select((line, index) => (line, index)).Where(l => IsAuthLine(l.line)).Select(l => l.index).ToList();
        var ours = new[] { $"{Marker}: TOTP code for SSH logins (removed when MFA is turned off)", moduleLine };
        if (mode == SshMode.PublicKeyThenCode)
        {
            foreach (var index in authLines)
            {
                lines[index] = $"{Marker} (not asked after a public key): {lines[index]}";
            }

            lines.InsertRange(authLines.Count > 0 ? authLines[0] : 0, ours);
        }
        else
        {
            lines.InsertRange(authLines.Count > 0 ? authLines[^1] + 1 : 0, ours);
        }

        return string.Join('\n', lines) + (trailingNewline ? "\n" : "");
    }

    /// <summary>The mode whose drop-in <paramref name="dropIn"/> is, byte for byte; null for anything else.</summary>
    public static SshMode? ModeOf(byte[] dropIn)
    {
        ArgumentNullException.ThrowIfNull(dropIn);
        var text = Encoding.UTF8.GetString(dropIn);
        return text == DropIn(SshMode.PasswordThenCode) ? SshMode.PasswordThenCode
            : text == DropIn(SshMode.PublicKeyThenCode) ? SshMode.PublicKeyThenCode
            : null;
    }

    /// <summary>Whether a PAM service file carries lines this agent wrote (an edited rendering, not a new original).</summary>
    public static bool IsRendered(string pamService)
    {
        ArgumentNullException.ThrowIfNull(pamService);
        return pamService.Split('\n').Any(l => l.StartsWith(Marker, StringComparison.Ordinal));
    }

    private static bool IsAuthLine(string line)
    {
        var trimmed = line.TrimStart();
        return trimmed.StartsWith("@include common-auth", StringComparison.Ordinal) ||
            trimmed.StartsWith("auth ", StringComparison.Ordinal) || trimmed.StartsWith("auth\t", StringComparison.Ordinal) ||
            trimmed.StartsWith("-auth", StringComparison.Ordinal);
    }
}
