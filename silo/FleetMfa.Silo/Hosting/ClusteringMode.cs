namespace FleetMfa.Silo.Hosting;

public enum ClusteringMode
{
    /// <summary>One silo on this machine (the default).</summary>
    Localhost,

    /// <summary>Several silos sharing membership in Azure Table storage.</summary>
    AzureTable,

    /// <summary>
    /// Silos as Kubernetes pods: membership in Azure Table storage, plus Orleans' Kubernetes hosting, which takes the
    /// silo's name and address from the pod (<c>POD_NAME</c>, <c>POD_IP</c>, <c>POD_NAMESPACE</c>) and deletes the pods
    /// of silos the cluster declared dead.
    /// </summary>
    Kubernetes,
}
