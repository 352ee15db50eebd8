using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.Json;
using FleetMfa.Agent.Store;
using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Protocol;
using FleetMfa.Protocol.Documents;
using FleetMfa.Protocol.Signing;
using FleetMfa.Testing.Agents;
using MQTTnet;

namespace FleetMfa.EndToEnd;

/// <summary>
/// The broker is trusted for neither confidentiality nor integrity: an account that may write a device's
/// <c>desired</c> topic (a leaked bridge password on the embedded broker, a writer account on Mosquitto) publishes
/// forged desired states into it — unsigned, signed by another key (under its own id and under the pinned one), a valid
/// signature over another device's document, an older version of the device's own replayed, and
/// <c>version = long.MaxValue</c> unsigned and forged. The real agent (its own process) applies none of them: its applied
/// version, MFA switch, users and secrets stay byte for byte, a login still works, the grain still shows it
/// <c>enabled</c> at the version it had, each refusal reaches the control plane's audit trail as
/// <c>untrusted-desired-state</c> with its reason, and a real change made afterwards still applies.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
[SupportedOSPlatform("linux")]
public sealed class SignedDesiredStateTests(EndToEndFixture fixture)
{
    [Theory]
    [InlineData(BrokerKind.Embedded)]
    [InlineData(BrokerKind.Mosquitto)]
    public async Task Forged_desired_states_from_an_account_that_may_write_the_topic_change_nothing_on_the_device_and_are_audited(BrokerKind kind)
    {
        var name = $"forge-{kind.ToString().ToLowerInvariant()}";
        var bridgePassword = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var settings = fixture.NewSiloSettings(name);
        if (kind == BrokerKind.Embedded)
        {
            // The embedded broker's bridge account, with a password the test knows: the leaked bridge password.
            settings = settings with { Environment = new Dictionary<string, string> { ["FLEETMFA_BROKER_PASSWORD"] = bridgePassword } };
        }

        await using var plane = await ControlPlane.StartAsync(kind, settings, fixture.Workspace, writer: true);
        var admin = plane.Admin;
        var flow = await AgentFlow.RunAsync(plane.Silo, fixture.Workspace, name);
        await using var agent = flow.Agent;
        var (org, device) = (flow.OrgId, flow.DeviceId);
        var topic = $"fleetmfa/v1/{org}/{device}/desired";

        // The writer: the device's retained desired state is a version it applied; one more change makes it an older one.
        var (writer, connected) = await plane.Writer(bridgePassword).ConnectAsync(clientId: $"forger-{Guid.NewGuid():N}");
        await using var _ = writer;
        Assert.Equal(MqttClientConnectResultCode.Success, connected);
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await writer.SubscribeAsync(topic));
        var older = (await writer.WaitForMessageAsync(topic)).Payload;
        var olderVersion = DesiredMessages.Parse(older).Version;
        var bobSecret = await admin.CreateEnrolledUserAsync(org, "bob");
        await admin.BindAsync(org, device, "bob", "bsmith");
        await admin.WaitForOnDeviceAsync(org, device, "bob", "active");
        var mfa = (await admin.WaitForMfaStatusAsync(org, device, "enabled"))["mfa"]!;
        var held = (long)mfa["appliedVersion"]!;
        Assert.Equal((long)mfa["desiredVersion"]!, held);
        Assert.True(held > olderVersion, $"the device holds {held}, the captured state is {olderVersion}");
        var store = new AgentStore(agent.DataDirectory);
        var before = Snapshot(store.Load()!);
        Assert.True(before.Contains("bsmith", StringComparison.Ordinal) && before.Contains("\"mfa\":true", StringComparison.Ordinal), before);

        // Another device of the org, with a validly signed desired state of a version above the one the device holds.
        var (_, connectKey) = await admin.CreateConnectKeyAsync(org);
        var other = await plane.Silo.Anonymous.EnrollDeviceAsync(connectKey, $"{name}-other");
        var otherTopic = other.Topic("desired");
        while ((long)(await admin.GetDeviceAsync(org, other.DeviceId))["mfa"]!["desiredVersion"]! <= held + 1)
        {
            await admin.EnableMfaAsync(org, other.DeviceId);
            (await admin.PostAsync($"/api/orgs/{org}/devices/{other.DeviceId}/mfa/disable")).Ok();
        }

        var otherVersion = (long)(await admin.GetDeviceAsync(org, other.DeviceId))["mfa"]!["desiredVersion"]!;
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await writer.SubscribeAsync(otherTopic));
        var othersMessage = (await Poll.UntilAsync(
            () => Task.FromResult(writer.Received.LastOrDefault(m => m.Topic == otherTopic && DesiredMessages.Parse(m.Payload).Version == otherVersion)),
            m => m is not null,
            $"{other.DeviceId}'s desired state version {otherVersion}"))!.Payload;

        // What an attacker would have the device do: MFA off, nobody prompted, and a version that wedges it for good.
        var genuine = DesiredMessages.Parse(older);
        var pinnedKeyId = JsonSerializer.Deserialize(older, ProtocolJsonContext.Default.SignedDesiredState)!.Kid;
        using var attackerKey = DesiredStateSigner.FromPrivateKey(DesiredStateSigner.NewPrivateKey());
        var mfaOff = genuine with { Version = held + 1, Mfa = false, Users = [] };
        var wedge = mfaOff with { Version = long.MaxValue };
        (string Reason, byte[] Message)[] forgeries =
        [
            (UntrustedReasons.NotSigned, Bare(mfaOff)),
            (UntrustedReasons.UnknownKey, attackerKey.Sign(mfaOff)),
            (UntrustedReasons.BadSignature, WithKeyId(attackerKey.Sign(mfaOff), pinnedKeyId)),
            (UntrustedReasons.OtherDevice, othersMessage),
            (UntrustedReasons.ReplayedVersion, older),
            (UntrustedReasons.NotSigned, Bare(wedge)),
            (UntrustedReasons.BadSignature, WithKeyId(attackerKey.Sign(wedge), pinnedKeyId)),
        ];
        foreach (var (_, message) in forgeries)
        {
            Assert.Equal(MqttClientPublishReasonCode.Success, await writer.PublishAsync(topic, message, retain: true));
        }

        // Each refusal reaches the control plane as an audit event, with its reason and nothing of the message.
        var refused = await Poll.UntilAsync(
            async () => (await admin.ReadAuditAsync(org)).Where(i => (string?)i["action"] == AuditActions.UntrustedDesiredState && (string?)i["deviceId"] == device).ToList(),
            items => items.Count >= forgeries.Length,
            $"{forgeries.Length} untrusted-desired-state events from {device}",
            TimeSpan.FromSeconds(60));
        Assert.Equal(forgeries.Select(f => f.Reason).Order(StringComparer.Ordinal), refused.Select(i => (string)i["detail"]!).Order(StringComparer.Ordinal));
        Assert.All(refused, i => Assert.Equal(("device", "refused", $"device:{device}"), ((string?)i["kind"], (string?)i["outcome"], (string?)i["target"])));
        Assert.Equal(forgeries.Length, CountOf(agent.AllLogs(), "refused an untrusted desired state ("));

        // Nothing changed on the device: the same applied version, switch, users and secrets; logins work as before.
        Assert.Equal(before, Snapshot(store.Load()!));
        var status = await agent.StatusAsync();
        Assert.Equal((held, true), ((long)status["appliedVersion"]!, (bool)status["mfa"]!));
        Assert.Equal(0, await agent.VerifyAsync(flow.LocalUsername, Oathtool.Totp(flow.Secret)));
        Assert.Equal(0, await agent.VerifyAsync("bsmith", Oathtool.Totp(bobSecret)));
        mfa = (await admin.GetDeviceAsync(org, device))["mfa"]!;
        Assert.Equal(("enabled", held, held), ((string?)mfa["status"], (long)mfa["desiredVersion"]!, (long)mfa["appliedVersion"]!));

        // A real change made afterwards still applies (and replaces the forged retained message).
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/orgs/{org}/devices/{device}/users/bob")).Status);
        var after = await Poll.UntilAsync(
            () => admin.GetDeviceAsync(org, device),
            d => (long)d["mfa"]!["appliedVersion"]! == held + 1,
            "the device applied the real change after the forgeries");
        Assert.Equal("enabled", (string?)after["mfa"]!["status"]);
        var applied = store.Load()!;
        Assert.Equal((held + 1, true, "alice"), (applied.Version, applied.Mfa, string.Join(",", applied.Users.Select(u => u.UserId))));

        // The signing key's private half is in the silo's data dir (0600) and nowhere the silo writes to.
        var signingKeyFile = Path.Combine(settings.DataDirectory, "signing.key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(signingKeyFile));
        var signingKey = (await File.ReadAllTextAsync(signingKeyFile)).Trim();
        Assert.DoesNotContain(signingKey, plane.Silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(signingKey, agent.AllLogs(), StringComparison.Ordinal);
    }

    private static byte[] Bare(DesiredState desired) => JsonSerializer.SerializeToUtf8Bytes(desired, ProtocolJsonContext.Default.DesiredState);

    private static byte[] WithKeyId(byte[] message, string keyId) =>
        JsonSerializer.SerializeToUtf8Bytes(
            JsonSerializer.Deserialize(message, ProtocolJsonContext.Default.SignedDesiredState)! with { Kid = keyId },
            ProtocolJsonContext.Default.SignedDesiredState);

    /// <summary>The applied state but for when it was applied: version, switch, parameters, policy, users with their secrets.</summary>
    private static string Snapshot(AppliedState state) =>
        JsonSerializer.Serialize(new
        {
            state.Version,
            mfa = state.Mfa,
            state.Totp,
            state.Policy,
            users = state.Users.Select(u => new { u.UserId, u.LocalUsername, u.SecretVersion, secret = Convert.ToHexString(u.Secret) }),
        });

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
