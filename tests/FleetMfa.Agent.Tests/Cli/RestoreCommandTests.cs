using System.Runtime.Versioning;
using FleetMfa.Agent.Platform.Linux;
using FleetMfa.Agent.Store;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Agent.Tests.Platform;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Tests.Cli;

/// <summary><c>fleetmfa-agent restore</c> as a process (what the package's prerm runs), against a stand-in sshd.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class RestoreCommandTests : IDisposable
{
    private readonly SshStandIn _machine = new();

    [Fact]
    public async Task Restore_puts_sshd_and_PAM_back_byte_for_byte_without_needing_an_enrollment()
    {
        var original = await File.ReadAllBytesAsync(_machine.PamFile);
        new SshPolicy(_machine.Options).Apply(true, new LinuxPolicy(false, true), ["alice"]);

        var result = await AgentProcess.RunWithAsync(_machine.Environment, "restore", "--data-dir", _machine.Options.DataDirectory);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains($"restored {_machine.PamFile}", result.Stdout, StringComparison.Ordinal);
        Assert.Equal(original, await File.ReadAllBytesAsync(_machine.PamFile));
        Assert.False(File.Exists(_machine.DropIn));
        Assert.Empty(Directory.EnumerateFiles(_machine.Options.BackupDirectory));

        var again = await AgentProcess.RunWithAsync(_machine.Environment, "restore", "--data-dir", _machine.Options.DataDirectory);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("nothing to restore", again.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_refuses_while_the_daemon_holds_the_data_directory()
    {
        new SshPolicy(_machine.Options).Apply(true, new LinuxPolicy(true, false), ["alice"]);
        var enforced = await File.ReadAllTextAsync(_machine.PamFile);
        using var daemon = DaemonLock.TryAcquire(_machine.Options.DataDirectory)!;

        var result = await AgentProcess.RunWithAsync(_machine.Environment, "restore", "--data-dir", _machine.Options.DataDirectory);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("stop it first", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(enforced, await File.ReadAllTextAsync(_machine.PamFile));
    }

    [Fact]
    public async Task Restore_of_a_data_directory_that_is_gone_has_nothing_to_do()
    {
        var result = await AgentProcess.RunWithAsync(_machine.Environment, "restore", "--data-dir", _machine.Combine("never-created"));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("nothing to restore", result.Stdout, StringComparison.Ordinal);
    }

    public void Dispose() => _machine.Dispose();
}
