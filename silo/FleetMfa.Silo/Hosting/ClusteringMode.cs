namespace FleetMfa.Silo.Hosting;

public enum ClusteringMode
{
    /// <summary>One silo on this machine (the default).</summary>
    Localhost,

    /// <summary>Several silos sharing membership in Azure Table storage.</summary>
    AzureTable,
}
