namespace FleetMfa.Silo.Hosting;

/// <summary>Azure Storage for grain state, reminders and (multi-silo) membership (section <c>FleetMfa:Storage</c>).</summary>
public sealed class StorageOptions
{
    public const string SectionName = "FleetMfa:Storage";

    /// <summary>
    /// Over how many tables grain state and the device index are spread (<see cref="SpreadTables"/>). Fixed, not
    /// configurable: a grain's table and an index shard's follow from it, so another count would lose sight of every
    /// stored state. Azure Table storage needs no spread; Azurite does: it keeps each table's entities in sorted indexes
    /// that every update walks from end to end, so a write costs more the more entities its table holds, whatever the
    /// keys. At 100,000 entities one table took 2.4–4.3 times the Azurite CPU of 16 per device-index row and 1.1–1.5
    /// times per grain-state read and write (<c>deploy/bench.sh storage</c>, tests/FleetMfa.Load/NOTES.md).
    /// </summary>
    public const int SpreadTableCount = 16;

    /// <summary>An Azure Storage connection string (Azurite locally). Required: there is no in-memory fallback.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Base name of the tables that hold grain state: <c>{GrainStateTable}00</c> to <c>{GrainStateTable}15</c> (<see cref="ShardedGrainStorage"/>).</summary>
    public string GrainStateTable { get; set; } = "FleetMfaGrainState";

    /// <summary>
    /// Base name of the tables that hold the device index (a row per device, a partition per org and index shard),
    /// spread like grain state: <c>{DeviceIndexTable}00</c>, ….
    /// </summary>
    public string DeviceIndexTable { get; set; } = "FleetMfaDeviceIndex";

    /// <summary>Table that holds the audit trail (one partition per org and day).</summary>
    public string AuditTable { get; set; } = "FleetMfaAudit";

    /// <summary>How long start-up waits for storage to answer before giving up with a clear error.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The <see cref="SpreadTableCount"/> tables that <paramref name="baseName"/> stands for: <c>{baseName}00</c>, <c>{baseName}01</c>, ….</summary>
    public static IReadOnlyList<string> SpreadTables(string baseName) =>
        [.. Enumerable.Range(0, SpreadTableCount).Select(i => $"{baseName}{i:D2}")];
}
