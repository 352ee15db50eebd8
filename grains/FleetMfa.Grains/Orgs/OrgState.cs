namespace FleetMfa.Grains.Orgs;

[GenerateSerializer, Alias("fleetmfa.OrgState")]
public sealed class OrgState
{
    [Id(0)] public bool Created { get; set; }
    [Id(1)] public string Name { get; set; } = "";
    [Id(2)] public bool TotpEnabled { get; set; }
    [Id(3)] public TotpParameters Totp { get; set; } = TotpParameters.Default;
    [Id(4)] public TimeSpan EnrollmentPeriod { get; set; } = OrgDecisions.DefaultEnrollmentPeriod;
    [Id(5)] public long PolicyVersion { get; set; }
    [Id(6)] public List<ApiKeyRecord> ApiKeys { get; set; } = [];
    [Id(7)] public DateTimeOffset CreatedAt { get; set; }
    [Id(8)] public List<ApiKeyRecord> ConnectKeys { get; set; } = [];

    /// <summary>The org's most recent rollouts, newest first (at most <see cref="OrgDecisions.MaxRecentRollouts"/>).</summary>
    [Id(9)] public List<string> RecentRollouts { get; set; } = [];

    /// <summary>Bit i: index shard i has handed <see cref="PolicyVersion"/> to all its devices.</summary>
    [Id(10)] public ulong PolicyFannedOutShards { get; set; } = ulong.MaxValue;
}
