namespace FleetMfa.Agent.Store;

/// <summary>The device's applied state, secrets included, encrypted at rest. Writes are atomic.</summary>
public interface ISecretStore
{
    AppliedState? Load();

    void Save(AppliedState state);
}
