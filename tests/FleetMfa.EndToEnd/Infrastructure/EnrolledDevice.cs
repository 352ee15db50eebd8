namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>A device the test enrolled itself through <c>POST /api/agent/enroll</c>: its identity and its own broker credentials.</summary>
public sealed record EnrolledDevice(string OrgId, string DeviceId, BrokerCredential Credential)
{
    public string Username => Credential.Username;

    public int Port => Credential.Port;

    private const string Prefix = "fleetmfa/v1";

    /// <summary>This device's topic of <paramref name="kind"/> (<c>desired</c>, <c>reported</c>, <c>events</c>, <c>presence</c>).</summary>
    public string Topic(string kind) => $"{Prefix}/{OrgId}/{DeviceId}/{kind}";
}
