namespace FleetMfa.Silo.Api.Responses;

/// <summary>The org's most recent rollouts, newest first, without their per-device outcomes.</summary>
public sealed record RolloutListResponse(IReadOnlyList<RolloutResponse> Items);
