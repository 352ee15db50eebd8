using FleetMfa.Agent.Store;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Agent.Verification;

namespace FleetMfa.Agent.Tests.Verification;

/// <summary>
/// Lockout ages failures on the monotonic clock within a boot and on the wall clock across boots: stepping the wall
/// clock neither extends nor ends a lockout; a reboot ends one only once its window has passed by the wall clock too.
/// </summary>
public sealed class LockoutClockTests : IDisposable
{
    private const string Alice = "alice";
    private const string BootA = "7d3c1b52-8f0e-4a57-9c1e-2f4b6a8d0e11";
    private const string BootB = "0b6e9f3a-1c2d-4e5f-8a9b-c0d1e2f3a4b5";

    private static readonly byte[] _secret = TestTotp.Secret("lockout alice");

    private readonly TestStore _store = new();
    private readonly SplitClock _clock = new(new DateTimeOffset(2026, 1, 5, 9, 0, 10, TimeSpan.Zero));

    public LockoutClockTests()
    {
        _store.Enroll();
        _store.SaveState(1, true, new LocalUser("alice-id", Alice, 1, _secret));
    }

    private VerifyOutcome Verify(string code, string? bootId = BootA) =>
        new CodeVerifier(_store.Store, _store.Store, VerificationSettings.Default, _clock, new InMemoryUserDirectory(), bootId).Verify(Alice, code);

    private VerifyOutcome VerifyValid(string? bootId = BootA) => Verify(TestTotp.CodeAt(_secret, _clock.Wall), bootId);

    private void LockOut(string? bootId = BootA)
    {
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(VerifyOutcome.Rejected, Verify(TestTotp.WrongCodeAt(_secret, _clock.Wall), bootId));
        }

        Assert.Equal(VerifyOutcome.LockedOut, VerifyValid(bootId));
    }

    [Fact]
    public void Failures_are_stamped_with_the_boot_the_monotonic_clock_and_the_wall_clock()
    {
        Assert.Equal(VerifyOutcome.Rejected, Verify(TestTotp.WrongCodeAt(_secret, _clock.Wall)));

        var failure = Assert.Single(_store.Ledger(Alice).Failures);
        Assert.Equal(new FailureStamp(BootA, _clock.GetTimestamp(), _clock.Wall), failure);
    }

    [Fact]
    public void A_wall_clock_stepped_back_an_hour_keeps_the_lockout_for_five_monotonic_minutes_and_no_longer()
    {
        LockOut();

        _clock.StepWall(TimeSpan.FromHours(-1));
        Assert.Equal(VerifyOutcome.LockedOut, VerifyValid());
        _clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        Assert.Equal(VerifyOutcome.LockedOut, VerifyValid());
        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(VerifyOutcome.Accepted, VerifyValid());
    }

    [Fact]
    public void A_wall_clock_stepped_forward_an_hour_does_not_end_a_lockout()
    {
        LockOut();

        _clock.StepWall(TimeSpan.FromHours(1));

        Assert.Equal(VerifyOutcome.LockedOut, VerifyValid());
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(VerifyOutcome.Accepted, VerifyValid());
    }

    [Fact]
    public void A_reboot_ends_a_lockout_once_five_minutes_passed_by_the_wall_clock()
    {
        LockOut();

        _clock.Reboot(TimeSpan.FromMinutes(6));

        Assert.Equal(VerifyOutcome.Accepted, VerifyValid(BootB));
    }

    [Fact]
    public void A_reboot_within_five_minutes_by_the_wall_clock_keeps_the_lockout_until_they_passed()
    {
        LockOut();

        _clock.Reboot(TimeSpan.FromMinutes(2));
        Assert.Equal(VerifyOutcome.LockedOut, VerifyValid(BootB));
        _clock.Advance(TimeSpan.FromMinutes(3) - TimeSpan.FromSeconds(1));
        Assert.Equal(VerifyOutcome.LockedOut, VerifyValid(BootB));
        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(VerifyOutcome.Accepted, VerifyValid(BootB));
    }

    [Fact]
    public void Failures_of_another_boot_stamped_more_than_a_day_ahead_are_dropped()
    {
        _clock.StepWall(TimeSpan.FromDays(2));
        LockOut();
        _clock.StepWall(TimeSpan.FromDays(-2));

        _clock.Reboot(TimeSpan.FromMinutes(1));

        Assert.Equal(VerifyOutcome.Accepted, VerifyValid(BootB));
        Assert.Empty(_store.Ledger(Alice).Failures);
    }

    [Fact]
    public void Failures_of_another_boot_stamped_less_than_a_day_ahead_still_count()
    {
        _clock.StepWall(TimeSpan.FromHours(20));
        LockOut();
        _clock.StepWall(TimeSpan.FromHours(-20));

        _clock.Reboot(TimeSpan.FromMinutes(1));

        Assert.Equal(VerifyOutcome.LockedOut, VerifyValid(BootB));
    }

    [Fact]
    public void Without_a_boot_id_failures_age_by_the_wall_clock()
    {
        LockOut(bootId: null);

        _clock.StepWall(TimeSpan.FromMinutes(5));

        Assert.Equal(VerifyOutcome.Accepted, VerifyValid(bootId: null));
    }

    [Fact]
    public void A_ledger_of_the_previous_version_still_locks_out_by_the_wall_clock()
    {
        // What the previous version wrote: failures as plain wall-clock times.
        var at = _clock.Wall.AddSeconds(-30);
        var failures = string.Join(',', Enumerable.Repeat($"\"{at:yyyy-MM-ddTHH:mm:sszzz}\"", 5));
        File.WriteAllText(_store.PathOf("ledger.json"), """{"users":{"alice":{"secretVersion":1,"lastAcceptedStep":-9223372036854775808,"failures":[""" + failures + "]}}}");

        Assert.Equal(VerifyOutcome.LockedOut, VerifyValid());
        Assert.All(_store.Ledger(Alice).Failures, f => Assert.Equal(new FailureStamp(null, 0, at), f));
        _clock.Advance(TimeSpan.FromMinutes(4.5));
        Assert.Equal(VerifyOutcome.Accepted, VerifyValid());
    }

    [Fact]
    public void A_same_boot_failure_ahead_of_the_monotonic_clock_counts_from_now_not_forever()
    {
        var now = new FailureStamp(BootA, TimeSpan.FromHours(1).Ticks, _clock.Wall);
        List<FailureStamp> failures = [now with { MonotonicTicks = TimeSpan.FromDays(300).Ticks }];

        LockoutClock.DropExpired(failures, now, TimeSpan.FromMinutes(5));
        Assert.Equal([now], failures);
        LockoutClock.DropExpired(failures, now with { MonotonicTicks = now.MonotonicTicks + TimeSpan.FromMinutes(5).Ticks }, TimeSpan.FromMinutes(5));

        Assert.Empty(failures);
    }

    [Fact]
    public async Task A_failure_a_verify_process_stamped_is_on_this_processs_boot_and_monotonic_clock()
    {
        var before = LockoutClock.MonotonicTicks(TimeProvider.System);

        var result = await AgentProcess.RunAsync(TestTotp.WrongCodeAt(_secret, DateTimeOffset.UtcNow) + "\n", "verify", "--user", Alice, "--data-dir", _store.DataDirectory);

        var after = LockoutClock.MonotonicTicks(TimeProvider.System);
        Assert.Equal(1, result.ExitCode);
        var failure = Assert.Single(_store.Ledger(Alice).Failures);
        Assert.NotNull(KernelBootId.Current);
        Assert.Equal(KernelBootId.Current, failure.BootId);
        Assert.InRange(failure.MonotonicTicks, before, after);
    }

    public void Dispose() => _store.Dispose();
}
