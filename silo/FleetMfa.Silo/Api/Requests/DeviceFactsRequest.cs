using FleetMfa.Grains;

namespace FleetMfa.Silo.Api.Requests;

public sealed record DeviceFactsRequest(bool? SshServerInstalled = null, string[]? AuthPlugins = null, int? DisplayHeightPixels = null)
{
    public DeviceFacts ToFacts() => new(SshServerInstalled, AuthPlugins ?? [], DisplayHeightPixels, AgentVersion: null);
}
