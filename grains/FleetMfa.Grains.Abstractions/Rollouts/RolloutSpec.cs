namespace FleetMfa.Grains;

/// <summary>
/// What a rollout does and how fast. <see cref="Os"/> filters the org's devices when no explicit device ids are given;
/// <see cref="MaxConcurrency"/> bounds the devices awaiting an acknowledgement at once and <see cref="RatePerMinute"/>
/// the devices started per minute, both over the whole rollout.
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.RolloutSpec")]
public sealed record RolloutSpec(
    [property: Id(0)] RolloutAction Action,
    [property: Id(1)] bool Force,
    [property: Id(2)] DeviceOs? Os,
    [property: Id(3)] int MaxConcurrency,
    [property: Id(4)] int? RatePerMinute,
    [property: Id(5)] int? AbortThresholdPercent,
    [property: Id(6)] TimeSpan AckTimeout,
    [property: Id(7)] string CreatedBy)
{
    public const int DefaultMaxConcurrency = 1_000;
    public const int MaxMaxConcurrency = 10_000;
    public const int MaxRatePerMinute = 1_000_000;
    public const int MaxDevices = 100_000;
    public static readonly TimeSpan DefaultAckTimeout = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxAckTimeout = TimeSpan.FromDays(1);

    /// <summary>
    /// The abort threshold is judged once this many devices (or all of them, if fewer) have finished, so that the
    /// first failure of a large rollout does not read as 100 %.
    /// </summary>
    public const int AbortMinimumFinished = 10;

    /// <summary>Throws <c>validation</c> naming the first value out of range.</summary>
    public RolloutSpec Validate()
    {
        if (MaxConcurrency is < 1 or > MaxMaxConcurrency)
        {
            throw FleetMfaException.Validation($"maxConcurrency must be between 1 and {MaxMaxConcurrency}.");
        }

        if (RatePerMinute is < 1 or > MaxRatePerMinute)
        {
            throw FleetMfaException.Validation($"ratePerMinute must be between 1 and {MaxRatePerMinute}.");
        }

        if (AbortThresholdPercent is < 1 or > 100)
        {
            throw FleetMfaException.Validation("abortThresholdPercent must be between 1 and 100.");
        }

        if (AckTimeout < TimeSpan.FromSeconds(1) || AckTimeout > MaxAckTimeout)
        {
            throw FleetMfaException.Validation($"ackTimeoutSeconds must be between 1 and {(int)MaxAckTimeout.TotalSeconds}.");
        }

        if (Force && Action != RolloutAction.EnableMfa)
        {
            throw FleetMfaException.Validation("force applies to enable-mfa only.");
        }

        return this;
    }
}
