namespace FleetMfa.Agent.Store;

/// <summary>
/// When a failed code was given, on two clocks: the kernel's monotonic clock of boot <see cref="BootId"/> (in ticks of 100 ns,
/// the same clock in every process of that boot, and never stepped) and the wall clock. Lockout measures a failure's
/// age on the monotonic clock while the machine has not rebooted since, and on the wall clock once it has.
/// </summary>
/// <param name="BootId">The kernel's boot id when the failure happened; <c>null</c> where it is unknown (a ledger of
/// an earlier version, a system without one): then only <see cref="At"/> tells.</param>
/// <param name="MonotonicTicks">The monotonic clock then, in 100 ns ticks since an arbitrary point of that boot.</param>
/// <param name="At">The wall clock then.</param>
public sealed record FailureStamp(string? BootId, long MonotonicTicks, DateTimeOffset At);
