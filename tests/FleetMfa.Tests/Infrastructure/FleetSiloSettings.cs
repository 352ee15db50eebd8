namespace FleetMfa.Tests.Infrastructure;

/// <summary>
/// What a fixture tells its silos, carried as TestCluster configuration properties. Without a connection string the
/// silo keeps grain state and reminders in memory; with one, in Azure Table storage (Azurite).
/// </summary>
public sealed record FleetSiloSettings(string ClockId, string MasterKey, string? StorageConnectionString = null, string? GrainStateTable = null, string? ReminderTable = null, string? DeviceIndexTable = null)
{
    public const string ClockIdKey = "FleetMfaTests:ClockId";
    public const string MasterKeyKey = "FleetMfaTests:MasterKey";
    public const string StorageConnectionStringKey = "FleetMfaTests:StorageConnectionString";
    public const string GrainStateTableKey = "FleetMfaTests:GrainStateTable";
    public const string ReminderTableKey = "FleetMfaTests:ReminderTable";
    public const string DeviceIndexTableKey = "FleetMfaTests:DeviceIndexTable";

    public IEnumerable<KeyValuePair<string, string>> ToProperties()
    {
        yield return new(ClockIdKey, ClockId);
        yield return new(MasterKeyKey, MasterKey);
        if (StorageConnectionString is not null)
        {
            yield return new(StorageConnectionStringKey, StorageConnectionString);
            yield return new(GrainStateTableKey, GrainStateTable ?? throw new InvalidOperationException("A grain-state table name is required with Azure storage."));
            yield return new(ReminderTableKey, ReminderTable ?? throw new InvalidOperationException("A reminder table name is required with Azure storage."));
            yield return new(DeviceIndexTableKey, DeviceIndexTable ?? throw new InvalidOperationException("A device index table name is required with Azure storage."));
        }
    }
}
