namespace FleetMfa.Agent.Store;

/// <summary>
/// The daemon's view of <c>state.bin</c>: decrypted once and kept, and read again only when the file on disk is a
/// different one (it is only ever replaced by an atomic rename, so size and modification time tell). Only the daemon
/// writes it, through <see cref="Save"/>, which drops the cached copy; the stamp catches a file put back by hand.
/// </summary>
public sealed class CachedSecretStore(AgentStore store) : ISecretStore
{
    private readonly Lock _lock = new();
    private FileStamp? _stamp;
    private AppliedState? _state;

    public AppliedState? Load()
    {
        // Stamp first, read second: a replacement in between is read now and seen as a change next time.
        var stamp = store.StateStamp();
        lock (_lock)
        {
            if (stamp is not null && stamp == _stamp)
            {
                return _state;
            }
        }

        var state = store.Load();
        lock (_lock)
        {
            (_stamp, _state) = (stamp, state);
        }

        return state;
    }

    public void Save(AppliedState state)
    {
        lock (_lock)
        {
            (_stamp, _state) = (null, null);
        }

        store.Save(state);
    }

    /// <summary>Drops the decrypted copy (the store was deleted).</summary>
    public void Forget()
    {
        lock (_lock)
        {
            (_stamp, _state) = (null, null);
        }
    }
}
