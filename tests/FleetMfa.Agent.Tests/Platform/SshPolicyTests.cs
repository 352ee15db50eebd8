using System.Diagnostics;
using System.Runtime.Versioning;
using FleetMfa.Agent.Platform;
using FleetMfa.Agent.Platform.Linux;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Tests.Platform;

/// <summary><see cref="SshPolicy"/> on real files in a temp directory laid out like <c>/etc/ssh</c> and <c>/etc/pam.d</c>.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class SshPolicyTests : IDisposable
{
    private static readonly LinuxPolicy Password = new(true, false);
    private static readonly LinuxPolicy PublicKey = new(false, true);

    private readonly TempDirectory _root = new();
    private readonly SshPolicyOptions _options;

    public SshPolicyTests()
    {
        Directory.CreateDirectory(_root.Combine("sshd_config.d"));
        Directory.CreateDirectory(_root.Combine("pam.d"));
        File.WriteAllText(_root.Combine("pam.d/sshd"), SshPolicyRendererTests.DebianPam);
        File.WriteAllBytes(_root.Combine("pam_fleetmfa.so"), [0x7f, (byte)'E', (byte)'L', (byte)'F']);
        _options = new SshPolicyOptions
        {
            SshdConfigDirectory = _root.Combine("sshd_config.d"),
            SshdConfigFile = _root.Combine("sshd_config"),
            SshdBinary = _root.Combine("no-sshd"),
            SshdPidFile = _root.Combine("sshd.pid"),
            PamServiceFile = _root.Combine("pam.d/sshd"),
            PamModule = _root.Combine("pam_fleetmfa.so"),
            AgentExecutable = "/usr/bin/fleetmfa-agent",
            DataDirectory = _root.Combine("agent"),
        };
    }

    private string DropIn => _options.DropInPath;

    private string Pam => File.ReadAllText(_options.PamServiceFile);

    private SshPolicy Policy(SshPolicyOptions? options = null) => new(options ?? _options);

    [Fact]
    public void Mfa_on_writes_the_drop_in_and_the_PAM_line_and_keeps_the_original()
    {
        var result = Policy().Apply(true, Password);

        Assert.True(result.Changed);
        Assert.Equal(SshPolicyRenderer.DropIn(SshMode.PasswordThenCode), File.ReadAllText(DropIn));
        Assert.Contains(SshPolicyRenderer.ModuleLine(_options), Pam.Split('\n'));
        Assert.Equal(SshPolicyRendererTests.DebianPam, File.ReadAllText(Path.Combine(_options.BackupDirectory, _options.PamServiceFile.Replace('/', '%') + ".orig")));
        Assert.True(File.Exists(Path.Combine(_options.BackupDirectory, DropIn.Replace('/', '%') + ".absent")));
    }

    [Fact]
    public void Applying_the_same_policy_again_changes_nothing()
    {
        Policy().Apply(true, PublicKey);
        var pam = Pam;
        var written = File.GetLastWriteTimeUtc(DropIn);

        var again = Policy().Apply(true, PublicKey);

        Assert.False(again.Changed);
        Assert.Equal(pam, Pam);
        Assert.Equal(written, File.GetLastWriteTimeUtc(DropIn));
    }

    [Fact]
    public void Switching_from_password_to_public_key_rewrites_both_files_from_the_original()
    {
        Policy().Apply(true, Password);

        Policy().Apply(true, PublicKey);

        Assert.Equal(SshPolicyRenderer.DropIn(SshMode.PublicKeyThenCode), File.ReadAllText(DropIn));
        Assert.Equal(SshPolicyRenderer.PamService(SshPolicyRendererTests.DebianPam, SshMode.PublicKeyThenCode, SshPolicyRenderer.ModuleLine(_options)), Pam);
    }

    [Fact]
    public void Mfa_off_puts_the_machine_back_byte_for_byte_and_drops_the_backups()
    {
        Policy().Apply(true, Password);

        var off = Policy().Apply(false, Password);

        Assert.True(off.Changed);
        Assert.False(File.Exists(DropIn));
        Assert.Equal(SshPolicyRendererTests.DebianPam, Pam);
        Assert.Empty(Directory.EnumerateFiles(_options.BackupDirectory));
        Assert.False(Policy().Apply(false, Password).Changed);
    }

    [Fact]
    public void Mfa_off_on_a_machine_the_agent_never_touched_changes_nothing()
    {
        Assert.False(Policy().Apply(false, Password).Changed);
        Assert.Equal(SshPolicyRendererTests.DebianPam, Pam);
    }

    [Fact]
    public void A_file_of_the_same_name_the_admin_had_is_kept_and_restored()
    {
        File.WriteAllText(DropIn, "# the admin's own\n");

        Policy().Apply(true, Password);
        Policy().Apply(false, Password);

        Assert.Equal("# the admin's own\n", File.ReadAllText(DropIn));
    }

    [Fact]
    public void Without_the_PAM_module_nothing_is_changed()
    {
        File.Delete(_options.PamModule);

        Assert.Throws<PolicyException>(() => Policy().Apply(true, Password));
        Assert.False(File.Exists(DropIn));
        Assert.Equal(SshPolicyRendererTests.DebianPam, Pam);
    }

    [Fact]
    public void The_conflict_is_refused_before_anything_changes()
    {
        Assert.Throws<PolicyException>(() => Policy().Apply(true, new LinuxPolicy(true, true)));
        Assert.False(File.Exists(DropIn));
        Assert.Equal(SshPolicyRendererTests.DebianPam, Pam);
    }

    [Fact]
    public void With_the_policy_off_or_no_sshd_config_directory_the_agent_only_reports()
    {
        Assert.False(Policy(new SshPolicyOptions { DataDirectory = _options.DataDirectory, SshdConfigDirectory = _options.SshdConfigDirectory, Enforce = false }).Apply(true, Password).Changed);
        Assert.False(Policy(new SshPolicyOptions { DataDirectory = _options.DataDirectory, SshdConfigDirectory = _root.Combine("missing") }).Apply(true, Password).Changed);
        Assert.False(File.Exists(DropIn));
    }

    [Fact]
    public void A_drop_in_sshd_rejects_is_rolled_back_with_the_PAM_file()
    {
        var fakeSshd = _root.Combine("sshd");
        File.WriteAllText(fakeSshd, "#!/bin/sh\necho 'Bad configuration option: x' >&2\nexit 255\n");
        File.SetUnixFileMode(fakeSshd, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(_options.SshdConfigFile, "Include x\n");
        var options = new SshPolicyOptions
        {
            SshdConfigDirectory = _options.SshdConfigDirectory,
            SshdConfigFile = _options.SshdConfigFile,
            SshdBinary = fakeSshd,
            SshdPidFile = _options.SshdPidFile,
            PamServiceFile = _options.PamServiceFile,
            PamModule = _options.PamModule,
            DataDirectory = _options.DataDirectory,
        };

        var ex = Assert.Throws<PolicyException>(() => Policy(options).Apply(true, Password));

        Assert.Contains("Bad configuration option", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(DropIn));
        Assert.Equal(SshPolicyRendererTests.DebianPam, Pam);
    }

    [Fact]
    public async Task A_changed_drop_in_sends_SIGHUP_to_the_pid_in_the_pid_file()
    {
        // A stand-in for sshd: SIGHUP's default action ends it, which is what we look for. `env --default-signal`
        // restores that action: a test run started under nohup hands SIGHUP down ignored, and sleep would live on.
        using var standIn = Process.Start(new ProcessStartInfo("env", ["--default-signal=HUP", "sleep", "300"]) { UseShellExecute = false })!;
        try
        {
            File.WriteAllText(_options.SshdPidFile, $"{standIn.Id}\n");

            var result = Policy().Apply(true, Password);

            Assert.Contains($"reloaded sshd (pid {standIn.Id})", result.Changes);
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

    public void Dispose() => _root.Dispose();
}
