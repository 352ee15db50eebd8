namespace FleetMfa.Silo.Hosting;

/// <summary>Azure Storage for grain state, reminders and (multi-silo) membership (section <c>FleetMfa:Storage</c>).</summary>
public sealed class StorageOptions
{
    public const string SectionName = "FleetMfa:Storage";

    public const int MaxGrainStateTables = 64;

    /// <summary>An Azure Storage connection string (Azurite locally). Required: there is no in-memory fallback.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Table that holds grain state.</summary>
    public string GrainStateTable { get; set; } = "FleetMfaGrainState";

    /// <summary>
    /// Over how many tables grain state and the device index are spread (1–64; <see cref="ShardedGrainStorage"/>): <c>{GrainStateTable}00</c>,
    /// <c>{GrainStateTable}01</c>, … when more than one. One suits Azure Table storage; Azurite slowed down with the number
    /// of grains of a type in one table (until per-grain row keys, <see cref="GrainStateLayout"/>), so the scripts that
    /// start it use 16. Fixed for the life of a store.
    /// </summary>
    public int GrainStateTables { get; set; } = 1;

    /// <summary>
    /// Table that holds the device index: a row per device, a partition per org and index shard; spread over
    /// <see cref="GrainStateTables"/> tables (<c>{DeviceIndexTable}00</c>, …) like grain state.
    /// </summary>
    public string DeviceIndexTable { get; set; } = "FleetMfaDeviceIndex";

    /// <summary>Table that holds the audit trail (one partition per org and day).</summary>
    public string AuditTable { get; set; } = "FleetMfaAudit";

    /// <summary>
    /// The tables that <paramref name="baseName"/> stands for: itself with one table, else <c>{baseName}00</c>,
    /// <c>{baseName}01</c>, … (<see cref="GrainStateTables"/>, clamped to its range).
    /// </summary>
    public IReadOnlyList<string> SpreadTables(string baseName)
    {
        var count = Math.Clamp(GrainStateTables, 1, MaxGrainStateTables);
        return count == 1 ? [baseName] : [.. Enumerable.Range(0, count).Select(i => $"{baseName}{i:D2}")];
    }

    /// <summary>How long start-up waits for storage to answer before giving up with a clear error.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(20);
}
