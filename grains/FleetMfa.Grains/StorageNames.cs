namespace FleetMfa.Grains;

/// <summary>Names of the grain storage providers the grains use; the host registers providers under these names.</summary>
public static class StorageNames
{
    /// <summary>Org, device, user and index state (Azure Table storage in every real deployment).</summary>
    public const string Fleet = "fleet";
}
