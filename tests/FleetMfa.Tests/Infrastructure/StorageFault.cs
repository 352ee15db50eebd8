namespace FleetMfa.Tests.Infrastructure;

/// <summary>How an injected storage write fails (<see cref="FaultInjectingGrainStorage"/>).</summary>
public enum StorageFault
{
    /// <summary>At once, with an error.</summary>
    Refused,

    /// <summary>After hanging for <see cref="FaultInjectingGrainStorage.TimeoutAfter"/>.</summary>
    Timeout,
}
