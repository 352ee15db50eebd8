namespace FleetMfa.Tests.Infrastructure;

/// <summary>How an injected storage write fails (<see cref="FaultInjectingGrainStorage"/>).</summary>
public enum StorageFault
{
    /// <summary>At once, with an error.</summary>
    Refused,

    /// <summary>After hanging for <see cref="FaultInjectingGrainStorage.TimeoutAfter"/>.</summary>
    Timeout,

    /// <summary>The write is stored, and then fails as if its answer had been lost: the grain keeps its old ETag.</summary>
    AnswerLost,
}
