using System.Runtime.Versioning;
using FleetMfa.Agent.Cli;
using FleetMfa.Agent.Store;
using FleetMfa.Agent.Tests.Infrastructure;

namespace FleetMfa.Agent.Tests.Cli;

[UnsupportedOSPlatform("windows")]
public sealed class RunCommandTests : IDisposable
{
    private readonly TestStore _store = new();

    [Fact]
    public async Task Run_refuses_a_data_directory_another_daemon_is_running_on()
    {
        _store.Enroll();
        using var running = DaemonLock.TryAcquire(_store.DataDirectory);
        Assert.NotNull(running);

        var result = await AgentProcess.RunAsync(null, "run", "--data-dir", _store.DataDirectory);

        Assert.True(result.ExitCode == ExitCodes.UsageOrStoreError, result.ToString());
        Assert.Contains("already running", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(DaemonLock.FileName, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_daemon_lock_is_held_by_one_holder_until_released()
    {
        using (var first = DaemonLock.TryAcquire(_store.DataDirectory))
        {
            Assert.NotNull(first);
            Assert.Null(DaemonLock.TryAcquire(_store.DataDirectory));
        }

        using var again = DaemonLock.TryAcquire(_store.DataDirectory);
        Assert.NotNull(again);
    }

    [Fact]
    public void The_daemon_lock_file_is_readable_by_its_owner_only()
    {
        using var held = DaemonLock.TryAcquire(_store.DataDirectory);

        Assert.Equal(AtomicFile.OwnerOnly, File.GetUnixFileMode(_store.PathOf(DaemonLock.FileName)));
    }

    public void Dispose() => _store.Dispose();
}
