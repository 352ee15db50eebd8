namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// Where <see cref="AgentFlow.RunAsync"/> left things: a running agent on a device with MFA enabled, and one user
/// (<see cref="UserId"/>, logging in locally as <see cref="LocalUsername"/>) active on it with <see cref="Secret"/>.
/// </summary>
public sealed record AgentFlowResult(DeviceAgent Agent, string OrgId, string DeviceId, string UserId, string LocalUsername, string Secret);
