using FleetMfa.Agent.Store;
using FleetMfa.Agent.Tests.Infrastructure;

namespace FleetMfa.Agent.Tests.Store;

/// <summary>The daemon's cached view of <c>state.bin</c> never outlives the file: a state that is gone is not served from memory.</summary>
public sealed class CachedSecretStoreTests : IDisposable
{
    private readonly TestStore _store = new();

    public CachedSecretStoreTests()
    {
        _store.Enroll();
        _store.SaveState(3, true, new LocalUser("alice", "alice", 1, TestTotp.Secret("cached alice")));
    }

    [Fact]
    public void The_state_is_served_from_memory_while_the_file_is_the_same()
    {
        var cached = new CachedSecretStore(_store.Store);
        var first = cached.Load();

        Assert.Same(first, cached.Load());
    }

    [Fact]
    public void A_state_file_that_went_away_is_not_served_from_memory()
    {
        var cached = new CachedSecretStore(_store.Store);
        Assert.NotNull(cached.Load());

        _store.DeleteState();

        Assert.Null(cached.Load());
        Assert.Null(cached.Load());
    }

    [Fact]
    public void A_state_file_replaced_by_hand_is_read_again()
    {
        var cached = new CachedSecretStore(_store.Store);
        Assert.Equal(3, cached.Load()!.Version);

        _store.SaveState(4, false);

        Assert.Equal((4L, false), (cached.Load()!.Version, cached.Load()!.Mfa));
    }

    [Fact]
    public void A_state_file_that_no_longer_decrypts_is_an_error_not_the_cached_copy()
    {
        var cached = new CachedSecretStore(_store.Store);
        Assert.NotNull(cached.Load());
        var bytes = File.ReadAllBytes(_store.PathOf("state.bin"));
        bytes[^1] ^= 0x01;
        bytes = [.. bytes, 0];
        File.WriteAllBytes(_store.PathOf("state.bin"), bytes);

        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => cached.Load());
    }

    public void Dispose() => _store.Dispose();
}
