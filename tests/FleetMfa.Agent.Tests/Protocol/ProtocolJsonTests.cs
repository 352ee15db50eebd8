using System.Text.Json;
using System.Text.Json.Nodes;
using FleetMfa.Protocol;
using FleetMfa.Protocol.Documents;
using FleetMfa.Protocol.Sealing;

namespace FleetMfa.Agent.Tests.Protocol;

public class ProtocolJsonTests
{
    private static readonly DateTimeOffset _at = new(2026, 1, 5, 9, 0, 10, TimeSpan.Zero);

    private static DesiredState Desired() => new(
        DesiredState.CurrentSchema,
        "acme",
        "dev-1",
        42,
        true,
        new TotpSettings(6, 30, "SHA1", 1),
        new OsPolicy(new LinuxPolicy(true, false), new WindowsPolicy(true, false), new MacPolicy(true)),
        [new DesiredUser("alice", "alice.l", 3, new SealedSecret([1, 2, 3], [4, 5, 6], [7, 8, 9, 10]))],
        _at);

    private static ReportedState Reported() => new(
        ReportedState.CurrentSchema,
        41,
        42,
        "unsupported TOTP parameters",
        new DeviceReport("host-1", "linux", "Debian 13", true, ["pam_google_authenticator"], null, "0.1.0", -120),
        [new ReportedUser("alice", 3)],
        _at);

    private static AuditEventBatch Batch() => new(
        AuditEventBatch.CurrentSchema,
        [
            new AuditEvent("e1", _at, AuditOutcome.Accepted, "alice.l", "alice"),
            new AuditEvent("e2", _at, AuditOutcome.Rejected, "alice.l", "alice"),
            new AuditEvent("e3", _at, AuditOutcome.LockedOut, "alice.l", "alice"),
            new AuditEvent("e4", _at, AuditOutcome.NotRequired, "root", null),
        ]);

    [Fact]
    public void A_desired_state_survives_a_round_trip()
    {
        var json = JsonSerializer.Serialize(Desired(), ProtocolJsonContext.Default.DesiredState);

        var back = JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.DesiredState)!;

        Assert.Equal(json, JsonSerializer.Serialize(back, ProtocolJsonContext.Default.DesiredState));
        Assert.Equal((42L, "acme", "dev-1", true, _at), (back.Version, back.OrgId, back.DeviceId, back.Mfa, back.IssuedAt));
        Assert.Equal(new TotpSettings(6, 30, "SHA1", 1), back.Totp);
        Assert.Equal(new LinuxPolicy(true, false), back.Policy.Linux);
        var user = Assert.Single(back.Users);
        Assert.Equal(("alice", "alice.l", 3), (user.UserId, user.LocalUsername, user.SecretVersion));
        Assert.Equal([7, 8, 9, 10], user.Secret.Ciphertext);
    }

    [Fact]
    public void A_desired_state_is_camel_case_with_base64_bytes()
    {
        var json = JsonNode.Parse(JsonSerializer.Serialize(Desired(), ProtocolJsonContext.Default.DesiredState))!;

        Assert.Equal(42, json["version"]!.GetValue<long>());
        Assert.Equal("acme", json["orgId"]!.GetValue<string>());
        Assert.Equal(30, json["totp"]!["periodSeconds"]!.GetValue<int>());
        Assert.True(json["policy"]!["windows"]!["disableAutomaticRestartSignOn"]!.GetValue<bool>());
        Assert.Equal("AQID", json["users"]![0]!["secret"]!["ephemeralKey"]!.GetValue<string>());
        Assert.Equal(3, json["users"]![0]!["secretVersion"]!.GetValue<int>());
    }

    [Fact]
    public void A_reported_state_survives_a_round_trip()
    {
        var json = JsonSerializer.Serialize(Reported(), ProtocolJsonContext.Default.ReportedState);

        var back = JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.ReportedState)!;

        Assert.Equal(json, JsonSerializer.Serialize(back, ProtocolJsonContext.Default.ReportedState));
        Assert.Equal((41L, (long?)42, "unsupported TOTP parameters"), (back.AppliedVersion, back.FailedVersion, back.Reason));
        Assert.Equal(("host-1", (bool?)true, (long?)-120, (int?)null), (back.Device.Hostname, back.Device.SshServerInstalled, back.Device.ClockOffsetMilliseconds, back.Device.DisplayHeightPixels));
        Assert.Equal(["pam_google_authenticator"], back.Device.AuthPlugins);
        Assert.Equal(new ReportedUser("alice", 3), Assert.Single(back.Users));
    }

    [Fact]
    public void An_audit_batch_survives_a_round_trip()
    {
        var json = JsonSerializer.Serialize(Batch(), ProtocolJsonContext.Default.AuditEventBatch);

        var back = JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.AuditEventBatch)!;

        Assert.Equal(Batch().Events, back.Events);
        Assert.Equal(AuditEventBatch.CurrentSchema, back.Schema);
    }

    [Fact]
    public void Audit_outcomes_are_kebab_case_strings()
    {
        var json = JsonNode.Parse(JsonSerializer.Serialize(Batch(), ProtocolJsonContext.Default.AuditEventBatch))!;

        Assert.Equal(
            ["accepted", "rejected", "locked-out", "not-required"],
            json["events"]!.AsArray().Select(e => e!["outcome"]!.GetValue<string>()));
    }

    [Fact]
    public void A_kebab_case_outcome_reads_back_as_its_enum_value()
    {
        const string json = """{"schema":1,"events":[{"id":"e1","at":"2026-01-05T09:00:10+00:00","outcome":"locked-out","localUsername":"alice.l","userId":"alice"}]}""";

        var batch = JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.AuditEventBatch)!;

        Assert.Equal(AuditOutcome.LockedOut, Assert.Single(batch.Events).Outcome);
    }

    [Theory]
    [InlineData("lockedout")]
    [InlineData("denied")]
    [InlineData("")]
    public void An_unknown_outcome_is_rejected(string outcome)
    {
        var json = $$"""{"schema":1,"events":[{"id":"e1","at":"2026-01-05T09:00:10+00:00","outcome":"{{outcome}}","localUsername":"alice.l","userId":null}]}""";

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.AuditEventBatch));
    }

    [Theory]
    [InlineData("")]
    [InlineData("totp")]
    [InlineData("policy.linux")]
    [InlineData("users.0")]
    [InlineData("users.0.secret")]
    public void Unknown_members_in_a_desired_state_are_rejected(string path)
    {
        var json = JsonNode.Parse(JsonSerializer.Serialize(Desired(), ProtocolJsonContext.Default.DesiredState))!;
        Navigate(json, path)!.AsObject()["secretPlaintext"] = "JBSWY3DPEHPK3PXP";

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json.ToJsonString(), ProtocolJsonContext.Default.DesiredState));
    }

    [Fact]
    public void Unknown_members_in_a_reported_state_are_rejected()
    {
        var json = JsonNode.Parse(JsonSerializer.Serialize(Reported(), ProtocolJsonContext.Default.ReportedState))!;
        json["device"]!.AsObject()["kernel"] = "6.12";

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json.ToJsonString(), ProtocolJsonContext.Default.ReportedState));
    }

    [Fact]
    public void Unknown_members_in_an_audit_event_are_rejected()
    {
        var json = JsonNode.Parse(JsonSerializer.Serialize(Batch(), ProtocolJsonContext.Default.AuditEventBatch))!;
        json["events"]![0]!.AsObject()["code"] = "123456";

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json.ToJsonString(), ProtocolJsonContext.Default.AuditEventBatch));
    }

    [Theory]
    [InlineData("", "version")]
    [InlineData("", "orgId")]
    [InlineData("", "deviceId")]
    [InlineData("", "mfa")]
    [InlineData("", "users")]
    [InlineData("totp", "digits")]
    [InlineData("totp", "algorithm")]
    [InlineData("users.0", "secretVersion")]
    [InlineData("users.0.secret", "nonce")]
    public void Missing_members_of_a_desired_state_are_rejected(string path, string member)
    {
        var json = JsonNode.Parse(JsonSerializer.Serialize(Desired(), ProtocolJsonContext.Default.DesiredState))!;
        Assert.True(Navigate(json, path)!.AsObject().Remove(member));

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json.ToJsonString(), ProtocolJsonContext.Default.DesiredState));
    }

    [Theory]
    [InlineData("appliedVersion")]
    [InlineData("device")]
    [InlineData("users")]
    public void Missing_members_of_a_reported_state_are_rejected(string member)
    {
        var json = JsonNode.Parse(JsonSerializer.Serialize(Reported(), ProtocolJsonContext.Default.ReportedState))!;
        Assert.True(json.AsObject().Remove(member));

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json.ToJsonString(), ProtocolJsonContext.Default.ReportedState));
    }

    [Theory]
    [InlineData("id")]
    [InlineData("outcome")]
    [InlineData("at")]
    public void Missing_members_of_an_audit_event_are_rejected(string member)
    {
        var json = JsonNode.Parse(JsonSerializer.Serialize(Batch(), ProtocolJsonContext.Default.AuditEventBatch))!;
        Assert.True(json["events"]![0]!.AsObject().Remove(member));

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json.ToJsonString(), ProtocolJsonContext.Default.AuditEventBatch));
    }

    [Fact]
    public void A_null_where_the_document_needs_a_value_is_rejected()
    {
        var json = JsonNode.Parse(JsonSerializer.Serialize(Desired(), ProtocolJsonContext.Default.DesiredState))!;
        json["orgId"] = null;

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json.ToJsonString(), ProtocolJsonContext.Default.DesiredState));
    }

    [Theory]
    [InlineData("mfa", "\"yes\"")]
    [InlineData("version", "true")]
    [InlineData("version", "4.5")]
    [InlineData("users", "{}")]
    [InlineData("totp", "[]")]
    public void A_member_of_the_wrong_type_is_rejected(string member, string value)
    {
        var json = JsonNode.Parse(JsonSerializer.Serialize(Desired(), ProtocolJsonContext.Default.DesiredState))!;
        json[member] = JsonNode.Parse(value);

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json.ToJsonString(), ProtocolJsonContext.Default.DesiredState));
    }

    private static JsonNode? Navigate(JsonNode root, string path)
    {
        var node = root;
        foreach (var part in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            node = int.TryParse(part, out var index) ? node![index] : node![part];
        }

        return node;
    }
}
