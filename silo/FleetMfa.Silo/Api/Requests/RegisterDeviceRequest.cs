using FleetMfa.Grains;

namespace FleetMfa.Silo.Api.Requests;

/// <summary>Pre-registers a device; <see cref="Facts"/> is optional inventory data that the agent's reports later replace.</summary>
public sealed record RegisterDeviceRequest(string Hostname, DeviceOs Os, string OsVersion, DeviceFactsRequest? Facts = null);
