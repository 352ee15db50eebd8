using FleetMfa.Agent.Verification;

namespace FleetMfa.Agent.Tests.Infrastructure;

/// <summary>A user database in a dictionary (exact names), counting lookups; <see cref="Broken"/> makes every lookup fail.</summary>
public sealed class InMemoryUserDirectory : IUserDirectory
{
    private readonly Dictionary<string, uint> _uids = new(StringComparer.Ordinal);

    public int Lookups { get; private set; }

    public bool Broken { get; set; }

    public InMemoryUserDirectory Add(string username, uint uid)
    {
        _uids[username] = uid;
        return this;
    }

    public uint? FindUid(string username)
    {
        Lookups++;
        return Broken
            ? throw new IOException("the user database is unreachable")
            : _uids.TryGetValue(username, out var uid) ? uid : null;
    }
}
