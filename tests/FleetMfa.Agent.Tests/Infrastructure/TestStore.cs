using System.Text.Json;
using FleetMfa.Agent.Enrollment;
using FleetMfa.Agent.Store;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Tests.Infrastructure;

/// <summary>A real <see cref="AgentStore"/> in its own temp directory, enrolled without a server or a broker.</summary>
public sealed class TestStore : IDisposable
{
    public const string OrgId = "acme";
    public const string DeviceId = "dev-1";
    public const string MqttPassword = "mqtt-password-b6f1c2";

    private readonly TempDirectory _root = new();

    public TestStore()
    {
        Store = new AgentStore(_root.Combine("store"));
        Store.Initialize();
    }

    public static OsPolicy Policy { get; } = new(new LinuxPolicy(true, false), new WindowsPolicy(true, true), new MacPolicy(true));

    public AgentStore Store { get; }

    public string DataDirectory => Store.DataDirectory;

    public string PathOf(string file) => Path.Combine(DataDirectory, file);

    public static DateTimeOffset EnrolledAt { get; } = new(2026, 1, 5, 8, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Writes <c>config.json</c> and, unless there is one, the version-0 state, as <c>enroll</c> does; again with other
    /// <paramref name="verification"/> settings keeps the state. The broker is 127.0.0.1:<paramref name="mqttPort"/>,
    /// and the pinned desired-state key <paramref name="signingKey"/> (none unless given).
    /// </summary>
    public AgentConfig Enroll(VerificationSettings? verification = null, int mqttPort = 1883, PinnedSigningKey? signingKey = null)
    {
        var config = new AgentConfig(
            "http://127.0.0.1:5080/",
            OrgId,
            DeviceId,
            new MqttEndpoint("127.0.0.1", mqttPort, false, $"{OrgId}/{DeviceId}", "fleetmfa/v1"),
            Store.Protect(System.Text.Encoding.UTF8.GetBytes(MqttPassword), Enroller.MqttPasswordPurpose),
            verification ?? VerificationSettings.Default,
            signingKey);
        Store.SaveConfigAndInitialState(config, EnrolledAt);
        return config;
    }

    /// <summary>Writes <c>state.bin</c> as an applied desired state would.</summary>
    public AppliedState SaveState(long version, bool mfa, TotpSettings totp, params LocalUser[] users)
    {
        var state = new AppliedState(version, mfa, totp, Policy, users, new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero));
        Store.Save(state);
        return state;
    }

    public AppliedState SaveState(long version, bool mfa, params LocalUser[] users) => SaveState(version, mfa, TestTotp.Default, users);

    /// <summary>Removes <c>state.bin</c>: an enrolled store damaged by hand or by a failing disk.</summary>
    public void DeleteState() => File.Delete(PathOf("state.bin"));

    /// <summary>A user's ledger entry as it is on disk now (read without taking the lock or writing anything).</summary>
    public UserLedger Ledger(string localUsername) =>
        File.Exists(PathOf("ledger.json"))
            && JsonSerializer.Deserialize(File.ReadAllBytes(PathOf("ledger.json")), AgentJsonContext.Default.VerifyLedger) is { } ledger
            && ledger.Users.TryGetValue(localUsername, out var user)
            ? user
            : new UserLedger();

    public void Dispose() => _root.Dispose();
}
