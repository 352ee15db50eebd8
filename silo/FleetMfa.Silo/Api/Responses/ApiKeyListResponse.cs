using FleetMfa.Grains;

namespace FleetMfa.Silo.Api.Responses;

/// <summary>An org's operator keys, oldest first: ids, names and dates, never a secret.</summary>
public sealed record ApiKeyListResponse(IReadOnlyList<ApiKeyInfo> Items);
