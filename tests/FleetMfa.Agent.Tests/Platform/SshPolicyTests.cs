using System.Diagnostics;
using System.Runtime.Versioning;
using FleetMfa.Agent.Platform;
using FleetMfa.Agent.Platform.Linux;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Tests.Platform;

/// <summary>
/// <see cref="SshPolicy"/> on real files in a temp directory laid out like <c>/etc/ssh</c> and <c>/etc/pam.d</c>, with
/// stand-ins for sshd and the ssh client (<see cref="SshStandIn"/>): every way a change can fail leaves the files
/// exactly as they were, and nothing is reported applied unless sshd says it is in effect.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class SshPolicyTests : IDisposable
{
    private static readonly LinuxPolicy Password = new(true, false);
    private static readonly LinuxPolicy PublicKey = new(false, true);
    private static readonly string[] Alice = ["alice"];

    private readonly SshStandIn _machine = new();

    private SshPolicyOptions Options => _machine.Options;

    private string DropIn => _machine.DropIn;

    private string Pam => _machine.Pam;

    private SshPolicy Policy(SshPolicyOptions? options = null) => new(options ?? Options);

    private PolicyResult Apply(bool mfa, LinuxPolicy policy) => Policy().Apply(mfa, policy, Alice);

    private string Rendered(SshMode mode) => SshPolicyRenderer.PamService(SshPolicyRendererTests.DebianPam, mode, SshPolicyRenderer.ModuleLine(Options, mode));

    /// <summary>The PAM file, the drop-in and the names of the backups, as one comparable value.</summary>
    private (string? Pam, string? DropIn, string Backups) Snapshot() => (
        File.Exists(_machine.PamFile) ? Pam : null,
        File.Exists(DropIn) ? File.ReadAllText(DropIn) : null,
        Directory.Exists(Options.BackupDirectory) ? string.Join(' ', Directory.EnumerateFiles(Options.BackupDirectory).Select(Path.GetFileName).Order()) : "");

    [Fact]
    public void Mfa_on_writes_the_drop_in_and_the_PAM_line_and_keeps_the_original()
    {
        var result = Apply(true, Password);

        Assert.True(result.Changed);
        Assert.Equal(SshPolicyRenderer.DropIn(SshMode.PasswordThenCode), File.ReadAllText(DropIn));
        Assert.Contains(SshPolicyRenderer.ModuleLine(Options, SshMode.PasswordThenCode), Pam.Split('\n'));
        Assert.Equal(SshPolicyRendererTests.DebianPam, File.ReadAllText(Path.Combine(Options.BackupDirectory, Options.PamServiceFile.Replace('/', '%') + ".orig")));
        Assert.True(File.Exists(Path.Combine(Options.BackupDirectory, DropIn.Replace('/', '%') + ".absent")));
    }

    [Fact]
    public void Applying_the_same_policy_again_changes_nothing()
    {
        Apply(true, PublicKey);
        var pam = Pam;
        var written = File.GetLastWriteTimeUtc(DropIn);

        var again = Apply(true, PublicKey);

        Assert.False(again.Changed);
        Assert.Equal(pam, Pam);
        Assert.Equal(written, File.GetLastWriteTimeUtc(DropIn));
    }

    [Fact]
    public void Switching_from_password_to_public_key_rewrites_both_files_from_the_original()
    {
        Apply(true, Password);

        Apply(true, PublicKey);

        Assert.Equal(SshPolicyRenderer.DropIn(SshMode.PublicKeyThenCode), File.ReadAllText(DropIn));
        Assert.Equal(Rendered(SshMode.PublicKeyThenCode), Pam);
    }

    [Fact]
    public void Mfa_off_puts_the_machine_back_byte_for_byte_and_drops_the_backups()
    {
        Apply(true, Password);

        var off = Apply(false, Password);

        Assert.True(off.Changed);
        Assert.False(File.Exists(DropIn));
        Assert.Equal(SshPolicyRendererTests.DebianPam, Pam);
        Assert.Empty(Directory.EnumerateFiles(Options.BackupDirectory));
        Assert.False(Apply(false, Password).Changed);
    }

    [Fact]
    public void Mfa_off_on_a_machine_the_agent_never_touched_changes_nothing()
    {
        Assert.False(Apply(false, Password).Changed);
        Assert.Equal(SshPolicyRendererTests.DebianPam, Pam);
    }

    [Fact]
    public void A_file_of_the_same_name_the_admin_had_is_kept_and_restored()
    {
        File.WriteAllText(DropIn, "# the admin's own\n");

        Apply(true, Password);
        Apply(false, Password);

        Assert.Equal("# the admin's own\n", File.ReadAllText(DropIn));
    }

    [Fact]
    public void Without_the_PAM_module_nothing_is_changed()
    {
        File.Delete(Options.PamModule);

        Assert.Throws<PolicyException>(() => Apply(true, Password));
        Assert.False(File.Exists(DropIn));
        Assert.Equal(SshPolicyRendererTests.DebianPam, Pam);
    }

    [Fact]
    public void The_conflict_is_refused_before_anything_changes()
    {
        Assert.Throws<PolicyException>(() => Apply(true, new LinuxPolicy(true, true)));
        Assert.False(File.Exists(DropIn));
        Assert.Equal(SshPolicyRendererTests.DebianPam, Pam);
    }

    [Fact]
    public void With_the_policy_off_or_no_sshd_installed_the_agent_only_reports()
    {
        var off = new SshPolicyOptions { DataDirectory = Options.DataDirectory, SshdConfigDirectory = Options.SshdConfigDirectory, Enforce = false };
        var noSshd = new SshPolicyOptions { DataDirectory = Options.DataDirectory, SshdConfigDirectory = Options.SshdConfigDirectory, SshdBinary = _machine.Combine("no-sshd") };

        Assert.False(Policy(off).Apply(true, Password, Alice).Changed);
        Assert.False(Policy(noSshd).Apply(true, Password, Alice).Changed);
        Assert.False(File.Exists(DropIn));
    }

    [Fact]
    public void An_sshd_without_a_drop_in_directory_fails_the_change_as_not_effective()
    {
        Directory.Delete(Options.SshdConfigDirectory);

        var ex = Assert.Throws<PolicyException>(() => Apply(true, PublicKey));

        Assert.StartsWith("ssh-policy-not-effective: ", ex.Message, StringComparison.Ordinal);
        Assert.Equal(SshPolicyRendererTests.DebianPam, Pam);
        Assert.False(Directory.Exists(Options.BackupDirectory) && Directory.EnumerateFiles(Options.BackupDirectory).Any());
    }

    [Fact]
    public void An_sshd_that_ignores_the_drop_in_fails_the_change_and_both_files_are_rolled_back()
    {
        _machine.IgnoreDropIn();
        var before = Snapshot();

        var ex = Assert.Throws<PolicyException>(() => Apply(true, PublicKey));

        Assert.StartsWith("ssh-policy-not-effective: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("authenticationmethods is 'any', not 'publickey,keyboard-interactive'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public void A_Match_block_that_overrides_the_policy_for_a_prompted_user_fails_the_change()
    {
        _machine.MatchUser("alice", "authenticationmethods publickey\n");
        var before = Snapshot();

        var ex = Assert.Throws<PolicyException>(() => Apply(true, PublicKey));

        Assert.Contains("for alice: authenticationmethods is 'publickey'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public void A_running_sshd_that_keeps_offering_the_old_methods_fails_the_change_after_the_reload_timeout()
    {
        _machine.Run();
        var before = Snapshot();

        var ex = Assert.Throws<PolicyException>(() => Apply(true, PublicKey));

        Assert.Contains("offers a new connection 'publickey,password', not 'publickey'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public void A_running_sshd_that_offers_the_policy_s_first_method_confirms_the_change()
    {
        _machine.Run();
        _machine.Offer("publickey");

        var result = Apply(true, PublicKey);

        Assert.Contains("reloaded sshd", result.Changes);
    }

    [Fact]
    public void A_configuration_sshd_rejects_is_rolled_back_with_the_PAM_file()
    {
        _machine.RejectConfig("Directive 'UsePAM' is not allowed within a Match block");
        var before = Snapshot();

        var ex = Assert.Throws<PolicyException>(() => Apply(true, Password));

        Assert.Contains("not allowed within a Match block", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public void A_drop_in_that_cannot_be_written_rolls_the_PAM_file_back()
    {
        SshStandIn.FailWritesOf(DropIn);
        var before = Snapshot();

        var ex = Assert.Throws<PolicyException>(() => Apply(true, PublicKey));

        Assert.Contains("rolled back", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public void A_PAM_file_that_cannot_be_written_changes_nothing()
    {
        SshStandIn.FailWritesOf(_machine.PamFile);
        var before = Snapshot();

        Assert.Throws<PolicyException>(() => Apply(true, Password));

        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public void A_failed_switch_between_modes_leaves_the_previous_mode_exactly()
    {
        Apply(true, Password);
        var before = Snapshot();
        _machine.MatchUser("alice", "pubkeyauthentication no\n");

        Assert.Throws<PolicyException>(() => Apply(true, PublicKey));

        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public void Mfa_off_whose_PAM_file_cannot_be_restored_keeps_MFA_on_with_the_drop_in_back()
    {
        Apply(true, PublicKey);
        var before = Snapshot();
        SshStandIn.FailWritesOf(_machine.PamFile);

        var ex = Assert.Throws<PolicyException>(() => Apply(false, PublicKey));

        Assert.Contains("MFA stays on", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public void Mfa_off_removes_the_drop_in_and_reloads_sshd_before_the_PAM_file_is_restored()
    {
        Apply(true, PublicKey);
        _machine.Run();

        var result = Apply(false, PublicKey);

        Assert.Equal([$"removed {DropIn}", "reloaded sshd", $"restored {_machine.PamFile}"], result.Changes);
    }

    [Fact]
    public void The_check_rewrites_a_deleted_drop_in()
    {
        Apply(true, PublicKey);
        File.Delete(DropIn);

        var check = Policy().Check(true, PublicKey, Alice);

        Assert.Equal(PolicyCheckStatus.Repaired, check.Status);
        Assert.Contains(check.Repairs, r => r.Contains(DropIn, StringComparison.Ordinal));
        Assert.Equal(SshPolicyRenderer.DropIn(SshMode.PublicKeyThenCode), File.ReadAllText(DropIn));
    }

    [Fact]
    public void The_check_takes_a_PAM_file_a_package_upgrade_replaced_as_the_new_original()
    {
        Apply(true, PublicKey);
        var upgraded = SshPolicyRendererTests.DebianPam + "# new in the package's next version\n";
        File.WriteAllText(_machine.PamFile, upgraded);

        var check = Policy().Check(true, PublicKey, Alice);

        Assert.Equal(PolicyCheckStatus.Repaired, check.Status);
        Assert.Equal(SshPolicyRenderer.PamService(upgraded, SshMode.PublicKeyThenCode, SshPolicyRenderer.ModuleLine(Options, SshMode.PublicKeyThenCode)), Pam);
        Policy().Restore();
        Assert.Equal(upgraded, Pam);
    }

    [Fact]
    public void The_check_renders_an_edited_PAM_file_again_from_the_original()
    {
        Apply(true, Password);
        File.WriteAllText(_machine.PamFile, Pam.Replace("mode=password", "mode=password debug", StringComparison.Ordinal));

        var check = Policy().Check(true, Password, Alice);

        Assert.Equal(PolicyCheckStatus.Repaired, check.Status);
        Assert.Equal(Rendered(SshMode.PasswordThenCode), Pam);
    }

    [Fact]
    public void The_check_reports_what_it_cannot_repair_and_keeps_the_stricter_files()
    {
        Apply(true, PublicKey);
        var applied = Snapshot();
        _machine.IgnoreDropIn();

        var check = Policy().Check(true, PublicKey, Alice);

        Assert.Equal(PolicyCheckStatus.NotEffective, check.Status);
        Assert.StartsWith("policy-drift-unrepairable: ", check.Problem, StringComparison.Ordinal);
        Assert.Equal(applied, Snapshot());
    }

    [Fact]
    public void The_check_of_a_policy_in_effect_or_of_MFA_off_changes_nothing()
    {
        Assert.Equal(PolicyCheckStatus.InEffect, Policy().Check(false, PublicKey, Alice).Status);
        Assert.Equal(SshPolicyRendererTests.DebianPam, Pam);
        Apply(true, PublicKey);
        var applied = Snapshot();

        Assert.Equal(PolicyCheck.InEffect, Policy().Check(true, PublicKey, Alice));
        Assert.Equal(applied, Snapshot());
    }

    [Fact]
    public void Restore_puts_back_every_file_the_agent_holds_a_backup_of()
    {
        Apply(true, PublicKey);
        var other = _machine.Combine("other.conf");
        File.WriteAllText(other, "original\n");
        new ManagedFiles(Options.BackupDirectory).Write(other, "changed\n"u8.ToArray());

        var result = Policy().Restore();

        Assert.Equal(SshPolicyRendererTests.DebianPam, Pam);
        Assert.False(File.Exists(DropIn));
        Assert.Equal("original\n", File.ReadAllText(other));
        Assert.Empty(Directory.EnumerateFiles(Options.BackupDirectory));
        Assert.Contains($"restored {other}", result.Changes);
    }

    [Fact]
    public async Task A_changed_drop_in_sends_SIGHUP_to_the_pid_in_the_pid_file()
    {
        // A stand-in for sshd: SIGHUP's default action ends it, which is what we look for. `env --default-signal`
        // restores that action: a test run started under nohup hands SIGHUP down ignored, and sleep would live on.
        using var standIn = Process.Start(new ProcessStartInfo("env", ["--default-signal=HUP", "sleep", "300"]) { UseShellExecute = false })!;
        try
        {
            File.WriteAllText(Options.SshdPidFile, $"{standIn.Id}\n");
            _machine.Offer("keyboard-interactive");

            var result = Apply(true, Password);

            Assert.Contains("reloaded sshd", result.Changes);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await standIn.WaitForExitAsync(timeout.Token);
            Assert.Equal(128 + 1, standIn.ExitCode);
        }
        finally
        {
            if (!standIn.HasExited)
            {
                standIn.Kill();
            }
        }
    }

    public void Dispose() => _machine.Dispose();
}
