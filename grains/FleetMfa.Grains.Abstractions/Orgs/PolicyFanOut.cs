namespace FleetMfa.Grains;

/// <summary>
/// How far the org's latest policy (TOTP switch) has travelled: <see cref="ShardsDone"/> of <see cref="Shards"/> index
/// shards have had <see cref="Version"/> acknowledged by every device with MFA on.
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.PolicyFanOut")]
public sealed record PolicyFanOut(
    [property: Id(0)] long Version,
    [property: Id(1)] int ShardsDone,
    [property: Id(2)] int Shards)
{
    public bool Complete => ShardsDone == Shards;
}
