namespace FleetMfa.Grains.Orgs;

/// <summary>An operator key as stored: the SHA-256 of its secret part, never the key.</summary>
[GenerateSerializer, Alias("fleetmfa.ApiKeyRecord")]
public sealed class ApiKeyRecord
{
    [Id(0)] public string KeyId { get; set; } = "";
    [Id(1)] public string Name { get; set; } = "";
    [Id(2)] public byte[] SecretHash { get; set; } = [];
    [Id(3)] public DateTimeOffset CreatedAt { get; set; }
}
