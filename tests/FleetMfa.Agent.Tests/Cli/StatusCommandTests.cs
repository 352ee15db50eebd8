using System.Text;
using System.Text.Json;
using FleetMfa.Agent.Cli;
using FleetMfa.Agent.Store;
using FleetMfa.Agent.Tests.Infrastructure;

namespace FleetMfa.Agent.Tests.Cli;

public sealed class StatusCommandTests : IDisposable
{
    private static readonly byte[] _aliceSecret = TestTotp.Secret("status alice");
    private static readonly byte[] _bobSecret = TestTotp.Secret("status bob");

    private readonly TestStore _store = new();

    [Fact]
    public async Task Status_prints_the_applied_version_mfa_and_users_as_json()
    {
        _store.Enroll();
        _store.SaveState(12, true, new LocalUser("alice", "alice.l", 3, _aliceSecret), new LocalUser("bob", "bob", 1, _bobSecret));

        var result = await AgentProcess.RunAsync(null, "status", "--data-dir", _store.DataDirectory);

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.True(root.GetProperty("enrolled").GetBoolean());
        Assert.Equal(TestStore.OrgId, root.GetProperty("orgId").GetString());
        Assert.Equal(TestStore.DeviceId, root.GetProperty("deviceId").GetString());
        Assert.Equal(12, root.GetProperty("appliedVersion").GetInt64());
        Assert.True(root.GetProperty("mfa").GetBoolean());
        var users = root.GetProperty("users").EnumerateArray()
            .Select(u => (u.GetProperty("userId").GetString(), u.GetProperty("localUsername").GetString(), u.GetProperty("secretVersion").GetInt32()))
            .ToList();
        Assert.Equal([("alice", "alice.l", 3), ("bob", "bob", 1)], users);
        Assert.All(root.GetProperty("users").EnumerateArray(), u => Assert.False(u.TryGetProperty("secret", out _)));
    }

    [Fact]
    public async Task Status_never_prints_a_secret()
    {
        _store.Enroll();
        _store.SaveState(12, true, new LocalUser("alice", "alice.l", 3, _aliceSecret), new LocalUser("bob", "bob", 1, _bobSecret));

        var result = await AgentProcess.RunAsync(null, "status", "--data-dir", _store.DataDirectory);

        var output = Encoding.UTF8.GetBytes(result.Stdout + result.Stderr);
        Assert.All(Encodings.LeakForms(_aliceSecret).Concat(Encodings.LeakForms(_bobSecret)), form => Assert.False(Encodings.Contains(output, form)));
        Assert.DoesNotContain(TestStore.MqttPassword, result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_of_an_enrolled_device_without_a_desired_state_is_version_0_mfa_off()
    {
        _store.Enroll();

        var result = await AgentProcess.RunAsync(null, "status", "--data-dir", _store.DataDirectory);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal((0L, false, 0), (json.RootElement.GetProperty("appliedVersion").GetInt64(), json.RootElement.GetProperty("mfa").GetBoolean(), json.RootElement.GetProperty("users").GetArrayLength()));
    }

    [Fact]
    public async Task Status_of_an_enrolled_device_says_so_when_its_state_is_missing()
    {
        _store.Enroll();
        _store.DeleteState();

        var result = await AgentProcess.RunAsync(null, "status", "--data-dir", _store.DataDirectory);

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.True(json.RootElement.GetProperty("enrolled").GetBoolean());
        Assert.Contains("state.bin is missing", json.RootElement.GetProperty("stateError").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_of_a_healthy_store_has_no_state_error()
    {
        _store.Enroll();

        var result = await AgentProcess.RunAsync(null, "status", "--data-dir", _store.DataDirectory);

        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("stateError").ValueKind);
    }

    [Fact]
    public async Task Status_of_an_unenrolled_directory_says_so()
    {
        var result = await AgentProcess.RunAsync(null, "status", "--data-dir", _store.DataDirectory);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.False(json.RootElement.GetProperty("enrolled").GetBoolean());
    }

    public void Dispose() => _store.Dispose();
}
