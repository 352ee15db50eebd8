using System.Diagnostics;
using System.Text;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Platform.Linux;

/// <summary>
/// Applies the Linux part of a desired state to sshd and PAM, and never lets an SSH login through with fewer factors
/// than either the policy before or the policy after a change asks for:
/// <list type="bullet">
/// <item>MFA on writes sshd's PAM service (the module in it) <em>before</em> the sshd drop-in, so sshd never routes a
/// login to a PAM stack without the code; MFA off removes the drop-in and reloads sshd <em>before</em> it puts the PAM
/// file back.</item>
/// <item>A change is in force only once sshd says so: <c>sshd -t</c> accepts the files, <c>sshd -T</c> shows the
/// policy's settings in effect (for a plain connection and for each prompted user, <c>Match</c> blocks included), and
/// the running sshd offers a new connection exactly the policy's first method (so its reload really happened).
/// Otherwise every file is rolled back and the version fails with <see cref="PolicyCodes.SshPolicyNotEffective"/>.</item>
/// <item>Any failure on the way (a write, sshd refusing the configuration) rolls back every file written so far, in
/// reverse order.</item>
/// </list>
/// PAM reads its service file per login; sshd gets SIGHUP after a drop-in change.
/// </summary>
public sealed class SshPolicy(SshPolicyOptions options)
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(100);

    private readonly ManagedFiles _files = new(options.BackupDirectory);
    private readonly SshdControl _sshd = new(options);

    public SshPolicyOptions Options => options;

    public PolicyResult Apply(bool mfa, LinuxPolicy policy, IReadOnlyList<string> promptedUsers)
    {
        ArgumentNullException.ThrowIfNull(promptedUsers);
        if (!options.Enforce)
        {
            // FLEETMFA_SSH_POLICY=off: the agent only reports (development and simulated devices).
            return PolicyResult.Unchanged;
        }

        var mode = SshPolicyRenderer.ModeFor(mfa, policy);
        if (mode == SshMode.Off)
        {
            return Disable();
        }

        // No OpenSSH server: no SSH login to protect (the agent reports the fact). The periodic check installs the
        // policy once a server appears.
        return _sshd.IsInstalled ? Enable(mode, promptedUsers) : PolicyResult.Unchanged;
    }

    /// <summary>
    /// Checks that an applied MFA-on policy is still in force and repairs drift: a PAM file rewritten by a package
    /// upgrade is taken as the new original and rendered again, a deleted or edited drop-in is written again. Nothing
    /// is rolled back here — what the agent writes is the stricter state.
    /// </summary>
    public PolicyCheck Check(bool mfa, LinuxPolicy policy, IReadOnlyList<string> promptedUsers)
    {
        ArgumentNullException.ThrowIfNull(promptedUsers);
        if (!options.Enforce || !mfa || !_sshd.IsInstalled)
        {
            return PolicyCheck.InEffect;
        }

        var mode = SshPolicyRenderer.ModeFor(mfa, policy);
        var repairs = new List<string>();
        try
        {
            var reloaded = false;
            WriteAndProve(_files.Write, "rewrote (it had changed or was deleted)", mode, Render(mode, adoptNewOriginal: repairs), promptedUsers, repairs, ref reloaded);
        }
        catch (Exception ex) when (ex is PolicyException or IOException or UnauthorizedAccessException)
        {
            var done = repairs.Count > 0 ? $" (repaired: {string.Join("; ", repairs)})" : "";
            return PolicyCheck.NotEffective($"{PolicyCodes.DriftUnrepairable}: {WithoutCode(ex.Message)}{done}");
        }

        return repairs.Count > 0 ? PolicyCheck.Repaired(repairs) : PolicyCheck.InEffect;
    }

    /// <summary>Uninstall: MFA off (drop-in first, then PAM), then any other file the agent still holds a backup of.</summary>
    public PolicyResult Restore()
    {
        var changes = new List<string>(Disable().Changes);
        foreach (var path in _files.BackedUpPaths())
        {
            if (_files.Restore(path))
            {
                changes.Add($"restored {path}");
            }
        }

        return new PolicyResult(changes);
    }

    private PolicyResult Enable(SshMode mode, IReadOnlyList<string> promptedUsers)
    {
        if (!Directory.Exists(options.SshdConfigDirectory))
        {
            throw new PolicyException(
                $"{PolicyCodes.SshPolicyNotEffective}: {options.SshdConfigDirectory} does not exist, so sshd cannot read the FleetMfa drop-in (FLEETMFA_SSHD_CONFIG_DIR)");
        }

        var files = Render(mode, adoptNewOriginal: null);
        var journal = new WriteJournal(_files);
        var changes = new List<string>();
        var reloaded = false;
        try
        {
            WriteAndProve(journal.Write, "wrote", mode, files, promptedUsers, changes, ref reloaded);
            return new PolicyResult(changes);
        }
        catch (Exception ex) when (ex is PolicyException or IOException or UnauthorizedAccessException)
        {
            var rolledBack = RollBack(journal, reloadAfter: reloaded);
            throw new PolicyException($"{ex.Message}; {rolledBack}", ex);
        }
    }

    private PolicyResult Disable()
    {
        var changes = new List<string>();
        var dropIn = ManagedFiles.ReadOrNull(options.DropInPath);
        if (_files.Restore(options.DropInPath))
        {
            changes.Add($"removed {options.DropInPath}");
            if (_sshd.Reload())
            {
                changes.Add("reloaded sshd");
            }
        }

        try
        {
            if (_files.Restore(options.PamServiceFile))
            {
                changes.Add($"restored {options.PamServiceFile}");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The PAM file still asks for the code: put the drop-in back, so sshd keeps sending every login through it,
            // and see that the running sshd took it back (a key alone must not get past it while MFA "stays on").
            if (dropIn is not null && changes.Count > 0)
            {
                _files.Write(options.DropInPath, dropIn);
                _sshd.Reload();
                if (SshPolicyRenderer.ModeOf(dropIn) is { } mode)
                {
                    EnsureRunningSshdOffers(mode);
                }
            }

            throw new PolicyException($"{options.PamServiceFile} could not be restored ({ex.Message}); MFA stays on", ex);
        }

        return new PolicyResult(changes);
    }

    /// <summary>
    /// Writes the PAM file, then the drop-in — PAM first: from then on any login sshd hands to PAM needs the code (and,
    /// in key mode, the key's proof) — checks a changed drop-in with <c>sshd -t</c> and reloads sshd, then proves the
    /// policy in effect (<see cref="EnsureInEffect"/>). <paramref name="reloaded"/> says whether sshd was reloaded, also
    /// when this throws.
    /// </summary>
    private void WriteAndProve(
        Func<string, byte[], bool> write, string verb, SshMode mode, (byte[] Pam, byte[] DropIn) files, IReadOnlyList<string> promptedUsers, List<string> changes, ref bool reloaded)
    {
        if (write(options.PamServiceFile, files.Pam))
        {
            changes.Add($"{verb} {options.PamServiceFile}");
        }

        if (write(options.DropInPath, files.DropIn))
        {
            changes.Add($"{verb} {options.DropInPath}");
            if (_sshd.CheckConfig() is { } problem)
            {
                throw new PolicyException($"{PolicyCodes.SshPolicyNotEffective}: sshd rejected the configuration with the FleetMfa drop-in: {problem}");
            }

            reloaded = _sshd.Reload();
            if (reloaded)
            {
                changes.Add("reloaded sshd");
            }
        }

        EnsureInEffect(mode, promptedUsers);
    }

    /// <summary>
    /// The policy's files, rendered from the machine's original PAM service. When <paramref name="adoptNewOriginal"/>
    /// is given (a drift check), a PAM file that no longer carries the agent's lines is taken as the new original.
    /// </summary>
    private (byte[] Pam, byte[] DropIn) Render(SshMode mode, List<string>? adoptNewOriginal)
    {
        if (!File.Exists(options.PamModule))
        {
            throw new PolicyException($"the PAM module {options.PamModule} is not installed (FLEETMFA_PAM_MODULE)");
        }

        var current = ManagedFiles.ReadOrNull(options.PamServiceFile);
        if (adoptNewOriginal is not null && current is not null && _files.HasBackup(options.PamServiceFile) &&
            !SshPolicyRenderer.IsRendered(Encoding.UTF8.GetString(current)))
        {
            _files.ReplaceOriginal(options.PamServiceFile, current);
            adoptNewOriginal.Add($"{options.PamServiceFile} was replaced (a package upgrade?) and is the new original");
        }

        if (_files.Original(options.PamServiceFile) is not { } original)
        {
            throw new PolicyException($"sshd's PAM service file {options.PamServiceFile} does not exist (FLEETMFA_PAM_SERVICE_FILE)");
        }

        var pam = SshPolicyRenderer.PamService(Encoding.UTF8.GetString(original), mode, SshPolicyRenderer.ModuleLine(options, mode));
        return (Encoding.UTF8.GetBytes(pam), Encoding.UTF8.GetBytes(SshPolicyRenderer.DropIn(mode)));
    }

    /// <summary>
    /// Throws <see cref="PolicyCodes.SshPolicyNotEffective"/> unless sshd's effective configuration is the policy's —
    /// for a connection by a user nobody bound and for each prompted user — and the running sshd offers it.
    /// </summary>
    private void EnsureInEffect(SshMode mode, IReadOnlyList<string> promptedUsers)
    {
        var general = _sshd.Effective(SshdControl.ProbeUser);
        var problems = new List<string>();
        foreach (var (user, config) in promptedUsers.Distinct(StringComparer.Ordinal).Select(u => (u, _sshd.Effective(u))).Prepend(("any user", general)))
        {
            if (config.Mismatches(mode) is { Count: > 0 } mismatches)
            {
                problems.Add($"for {user}: {string.Join(", ", mismatches)}");
            }
        }

        if (problems.Count > 0)
        {
            throw new PolicyException(
                $"{PolicyCodes.SshPolicyNotEffective}: sshd's effective configuration is not the policy ({string.Join("; ", problems)}); " +
                $"sshd_config must include {options.SshdConfigDirectory}/*.conf before its own settings, and no Match block may override them");
        }

        EnsureRunningSshdOffers(mode, general);
    }

    /// <summary>
    /// Throws <see cref="PolicyCodes.SshPolicyNotEffective"/> unless the running sshd (if one runs) offers a new
    /// connection exactly <paramref name="mode"/>'s first method within <see cref="SshPolicyOptions.ReloadTimeout"/>;
    /// one more SIGHUP goes half-way through (a reload an earlier run wrote the files for but never sent).
    /// </summary>
    private void EnsureRunningSshdOffers(SshMode mode, EffectiveSshdConfig? general = null)
    {
        general ??= _sshd.Effective(SshdControl.ProbeUser);
        if (_sshd.RunningPid() is not { } pid || general.ListenEndpoints() is not [var endpoint, ..])
        {
            return;
        }

        string[] expected = mode == SshMode.PublicKeyThenCode ? ["publickey"] : ["keyboard-interactive"];
        var waited = Stopwatch.StartNew();
        var reloadedAgain = false;
        while (true)
        {
            var offered = _sshd.OfferedMethods(endpoint);
            if (offered is null && !File.Exists(options.SshClientBinary))
            {
                return;
            }

            if (offered is not null && offered.SequenceEqual(expected, StringComparer.Ordinal))
            {
                return;
            }

            if (waited.Elapsed >= options.ReloadTimeout)
            {
                throw new PolicyException(
                    $"{PolicyCodes.SshPolicyNotEffective}: the running sshd (pid {pid}) offers a new connection " +
                    $"'{(offered is null ? "nothing" : string.Join(",", offered))}', not '{string.Join(",", expected)}', {options.ReloadTimeout.TotalSeconds:0} s after its reload");
            }

            if (!reloadedAgain && waited.Elapsed >= options.ReloadTimeout / 2)
            {
                reloadedAgain = true;
                _sshd.Reload();
            }

            Thread.Sleep(ProbeInterval);
        }
    }

    /// <summary>
    /// Puts back every file <paramref name="journal"/> wrote, newest first (so the drop-in goes before PAM), and reloads
    /// sshd when it had already been told to read the drop-in that is now gone again.
    /// </summary>
    private string RollBack(WriteJournal journal, bool reloadAfter)
    {
        try
        {
            var restored = journal.RollBack();
            if (reloadAfter && restored.Contains(options.DropInPath))
            {
                _sshd.Reload();
            }

            return restored.Count == 0 ? "nothing had been changed" : $"rolled back {string.Join(" and ", restored)}";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"the rollback failed too ({ex.Message}); the PAM file keeps asking for the code";
        }
    }

    private static string WithoutCode(string reason) =>
        reason.StartsWith(PolicyCodes.SshPolicyNotEffective + ": ", StringComparison.Ordinal) ? reason[(PolicyCodes.SshPolicyNotEffective.Length + 2)..] : reason;
}
