using FleetMfa.Grains;

namespace FleetMfa.Silo.Api.Responses;

/// <summary>An org's connect keys, oldest first, with their remaining uses; never a secret.</summary>
public sealed record ConnectKeyListResponse(IReadOnlyList<ConnectKeyInfo> Items);
