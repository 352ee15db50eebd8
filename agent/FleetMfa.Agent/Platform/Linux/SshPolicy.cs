using System.Diagnostics;
using System.Globalization;
using System.Text;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Platform.Linux;

/// <summary>
/// Applies the Linux part of a desired state to sshd and PAM: MFA on writes the sshd drop-in (sorted first in
/// <c>sshd_config.d</c>) and adds <c>pam_fleetmfa.so</c> to sshd's PAM service; MFA off restores both from their
/// backups. A changed drop-in is checked with <c>sshd -t</c> (and rolled back when sshd rejects it) before the running
/// sshd gets SIGHUP; PAM reads its service file per login, so that change needs no reload.
/// </summary>
public sealed class SshPolicy(SshPolicyOptions options)
{
    private readonly ManagedFiles _files = new(options.BackupDirectory);

    public SshPolicyOptions Options => options;

    public PolicyResult Apply(bool mfa, LinuxPolicy policy)
    {
        if (!options.Enforce || !Directory.Exists(options.SshdConfigDirectory))
        {
            // Not ours to manage (FLEETMFA_SSH_POLICY=off), or no OpenSSH server here (the agent reports that fact).
            return PolicyResult.Unchanged;
        }

        var mode = SshPolicyRenderer.ModeFor(mfa, policy);
        return mode == SshMode.Off ? Remove() : Enforce(mode);
    }

    private PolicyResult Enforce(SshMode mode)
    {
        if (!File.Exists(options.PamModule))
        {
            throw new PolicyException($"the PAM module {options.PamModule} is not installed (FLEETMFA_PAM_MODULE)");
        }

        if (_files.Original(options.PamServiceFile) is not { } originalPam)
        {
            throw new PolicyException($"sshd's PAM service file {options.PamServiceFile} does not exist (FLEETMFA_PAM_SERVICE_FILE)");
        }

        var dropIn = Encoding.UTF8.GetBytes(SshPolicyRenderer.DropIn(mode));
        var pam = Encoding.UTF8.GetBytes(SshPolicyRenderer.PamService(Encoding.UTF8.GetString(originalPam), mode, SshPolicyRenderer.ModuleLine(options)));
        var previousDropIn = ManagedFiles.ReadOrNull(options.DropInPath);
        var previousPam = ManagedFiles.ReadOrNull(options.PamServiceFile);
        var changes = new List<string>();

        // PAM first: sshd asks PAM only once its drop-in says keyboard-interactive, so no moment allows a login without the code.
        if (_files.Write(options.PamServiceFile, pam))
        {
            changes.Add($"wrote {options.PamServiceFile}");
        }

        if (_files.Write(options.DropInPath, dropIn))
        {
            changes.Add($"wrote {options.DropInPath}");
            if (CheckConfig() is { } problem)
            {
                RollBack(options.DropInPath, previousDropIn);
                RollBack(options.PamServiceFile, previousPam);
                throw new PolicyException($"sshd rejected the configuration with the FleetMfa drop-in; both files were rolled back: {problem}");
            }

            Reload(changes);
        }

        return new PolicyResult(changes);
    }

    private void RollBack(string path, byte[]? previous)
    {
        if (previous is null)
        {
            _files.Restore(path);
        }
        else
        {
            ManagedFiles.Replace(path, previous);
        }
    }

    private PolicyResult Remove()
    {
        var changes = new List<string>();
        if (_files.Restore(options.DropInPath))
        {
            changes.Add($"removed {options.DropInPath}");
            Reload(changes);
        }

        if (_files.Restore(options.PamServiceFile))
        {
            changes.Add($"restored {options.PamServiceFile}");
        }

        return new PolicyResult(changes);
    }

    /// <summary><c>sshd -t -f CONFIG</c>: null when sshd accepts it (or there is no sshd/config to check), else what it said.</summary>
    private string? CheckConfig()
    {
        if (!File.Exists(options.SshdBinary) || !File.Exists(options.SshdConfigFile))
        {
            return null;
        }

        var info = new ProcessStartInfo(options.SshdBinary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("-t");
        info.ArgumentList.Add("-f");
        info.ArgumentList.Add(options.SshdConfigFile);
        using var process = Process.Start(info) ?? throw new PolicyException($"{options.SshdBinary} did not start");
        var errors = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill();
            return "sshd -t did not finish within 30 s";
        }

        var message = errors.GetAwaiter().GetResult().Trim();
        return process.ExitCode == 0 ? null : message.Length > 300 ? message[..300] : message;
    }

    /// <summary>SIGHUP to the sshd in the pid file; no pid file means no sshd is running and the next start reads the new config.</summary>
    private void Reload(List<string> changes)
    {
        if (ManagedFiles.ReadOrNull(options.SshdPidFile) is not { } content ||
            !int.TryParse(Encoding.ASCII.GetString(content).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 1)
        {
            return;
        }

        if (LibC.Kill(pid, LibC.SigHup) == 0)
        {
            changes.Add($"reloaded sshd (pid {pid})");
        }
    }
}
