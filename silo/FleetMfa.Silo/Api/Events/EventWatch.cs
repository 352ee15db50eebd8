using FleetMfa.Grains;

namespace FleetMfa.Silo.Api.Events;

/// <summary>What one event stream follows: always the org (settings and counts), plus optionally a page of devices, one device and one rollout.</summary>
public sealed record EventWatch(string OrgId, DeviceQuery? Devices, string? DeviceId, string? RolloutId);
