using FleetMfa.Grains.Security;

namespace FleetMfa.Silo.Hosting;

/// <summary>The admin bearer key, held only as its hash.</summary>
public sealed class AdminKey(string key)
{
    /// <summary>The shortest admin key the silo starts with.</summary>
    public const int MinLength = 32;

    private readonly byte[] _hash = ApiKeys.Hash(key);

    public bool Matches(string candidate) => ApiKeys.HashesEqual(_hash, ApiKeys.Hash(candidate));
}
