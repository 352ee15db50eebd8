using FleetMfa.Grains;

namespace FleetMfa.Silo.Api.Requests;

/// <summary>Which of the org's devices a rollout takes; no <see cref="Os"/> means all of them.</summary>
public sealed record RolloutFilterRequest(DeviceOs? Os = null);
