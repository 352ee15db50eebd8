using FleetMfa.Grains;

namespace FleetMfa.Silo.Api.Responses;

/// <summary>A rollout with its counts and, on GET of one rollout, a page of per-device outcomes.</summary>
public sealed record RolloutResponse(
    string RolloutId,
    RolloutAction Action,
    RolloutStatus State,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    int Total,
    int Succeeded,
    int Pending,
    int Rejected,
    int Failed,
    bool Force,
    DeviceOs? FilterOs,
    int MaxConcurrency,
    int? RatePerMinute,
    int? AbortThresholdPercent,
    int AckTimeoutSeconds,
    string CreatedBy,
    IReadOnlyList<DeviceOutcome>? Outcomes,
    string? NextCursor)
{
    public static RolloutResponse From(RolloutSummary summary, RolloutOutcomePage? outcomes = null)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var (spec, counts) = (summary.Spec, summary.Counts);
        return new(
            summary.RolloutId,
            spec.Action,
            summary.Status,
            summary.CreatedAt,
            summary.FinishedAt,
            counts.Total,
            counts.Succeeded,
            counts.Pending,
            counts.Rejected,
            counts.Failed,
            spec.Force,
            spec.Os,
            spec.MaxConcurrency,
            spec.RatePerMinute,
            spec.AbortThresholdPercent,
            (int)spec.AckTimeout.TotalSeconds,
            spec.CreatedBy,
            outcomes?.Items,
            outcomes?.NextCursor);
    }
}
