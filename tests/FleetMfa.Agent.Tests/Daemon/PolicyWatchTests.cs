using FleetMfa.Agent.Daemon;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Testing;
using Microsoft.Extensions.Time.Testing;

namespace FleetMfa.Agent.Tests.Daemon;

/// <summary>When the daemon checks its policy: at start, every interval, and once a change in a watched directory has settled.</summary>
public sealed class PolicyWatchTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly TempDirectory _directory = new();

    [Fact]
    public void A_check_is_due_at_start_and_then_once_per_interval()
    {
        using var watch = new PolicyWatch(_time, TimeSpan.FromMinutes(5), []);
        Assert.True(watch.IsDue());

        watch.Checked();
        _time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        Assert.False(watch.IsDue());

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(watch.IsDue());
    }

    [Fact]
    public void A_change_makes_a_check_due_once_it_has_settled()
    {
        using var watch = new PolicyWatch(_time, TimeSpan.FromMinutes(5), []);
        watch.Checked();

        watch.Changed();
        Assert.False(watch.IsDue());
        _time.Advance(PolicyWatch.Settle);
        Assert.True(watch.IsDue());

        watch.Checked();
        Assert.False(watch.IsDue());
    }

    [Fact]
    public void A_change_during_a_check_brings_another_check()
    {
        using var watch = new PolicyWatch(_time, TimeSpan.FromMinutes(5), []);
        watch.Checked();
        _time.Advance(TimeSpan.FromSeconds(10));
        watch.Changed();

        watch.Checked(); // a check that started before the change settled
        _time.Advance(PolicyWatch.Settle);

        Assert.True(watch.IsDue());
    }

    [Fact]
    public async Task A_file_deleted_in_a_watched_directory_is_noticed()
    {
        var file = _directory.Combine("00-fleetmfa.conf");
        await File.WriteAllTextAsync(file, "x");
        using var watch = new PolicyWatch(_time, TimeSpan.FromMinutes(5), [_directory.Path]);
        watch.Checked();
        _time.Advance(PolicyWatch.Settle);

        File.Delete(file);

        await ChangeSeenAsync(watch);
        Assert.False(watch.IsDue());
        _time.Advance(PolicyWatch.Settle);
        Assert.True(watch.IsDue());
    }

    [Fact]
    public async Task A_named_file_is_watched_where_it_is()
    {
        var pam = _directory.Combine("sshd");
        await File.WriteAllTextAsync(pam, "x");
        using var watch = new PolicyWatch(_time, TimeSpan.FromMinutes(5), [pam]);
        watch.Checked();

        await File.WriteAllTextAsync(pam, "changed");

        await ChangeSeenAsync(watch);
    }

    /// <summary>The watcher reports on its own thread: waits for its notification (not for time).</summary>
    private static Task ChangeSeenAsync(PolicyWatch watch) => Poll.UntilAsync(() => watch.ChangePending, "the watcher saw the change");

    public void Dispose() => _directory.Dispose();
}
