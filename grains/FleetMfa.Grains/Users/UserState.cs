namespace FleetMfa.Grains.Users;

/// <summary>A user as stored. <see cref="ProtectedSecret"/> is AES-256-GCM ciphertext bound to org, user and version.</summary>
[GenerateSerializer, Alias("fleetmfa.UserState")]
public sealed class UserState
{
    [Id(0)] public bool Created { get; set; }
    [Id(1)] public string Username { get; set; } = "";
    [Id(2)] public string? Email { get; set; }
    [Id(3)] public TotpStatus TotpStatus { get; set; }
    [Id(4)] public byte[]? ProtectedSecret { get; set; }
    [Id(5)] public int SecretVersion { get; set; }
    [Id(6)] public DateTimeOffset? EnrollmentExpiresAt { get; set; }
    [Id(7)] public DateTimeOffset? EnrolledAt { get; set; }
    [Id(8)] public HashSet<string> Devices { get; set; } = [];
    [Id(9)] public DateTimeOffset CreatedAt { get; set; }

    /// <summary>
    /// The outbox: bound devices that have not acknowledged the <see cref="Revision"/> stored here. Stored with the
    /// change that makes them due, emptied (in memory, stored with the next change) as each device acknowledges it: a
    /// device that could not be told is told again, never forgotten; one told already may be told once more.
    /// </summary>
    [Id(10)] public HashSet<string> Notify { get; set; } = [];

    /// <summary>Grows with every stored change a device must hear of (name, enrollment, a device key learned); a device keeps the newest.</summary>
    [Id(11)] public long Revision { get; set; }

    /// <summary>The P-256 public keys (SubjectPublicKeyInfo) of the bound devices that have an agent: the secret is sealed to them.</summary>
    [Id(12)] public Dictionary<string, byte[]> DeviceKeys { get; set; } = [];
}
