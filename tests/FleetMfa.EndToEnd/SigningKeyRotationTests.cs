using System.Runtime.Versioning;
using FleetMfa.Agent.Store;
using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Protocol.Documents;
using FleetMfa.Protocol.Signing;

namespace FleetMfa.EndToEnd;

/// <summary>
/// The control plane rotates its desired-state key without touching a device: a real agent pinned the first key at
/// enrollment; the silo restarts with a new key and the first as <c>FLEETMFA_SIGNING_KEY_PREVIOUS</c>, so every desired
/// state carries the first key's endorsement of the new one; the agent applies the next change and pins the new key in
/// its <c>config.json</c>; with the rotation over (the new key alone) changes still apply. A silo that comes back with
/// a key nobody endorsed changes nothing on the device, which reports <c>untrusted-desired-state</c> (<c>unknown-key</c>).
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
[SupportedOSPlatform("linux")]
public sealed class SigningKeyRotationTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task The_agent_moves_to_a_key_the_pinned_key_endorsed_and_refuses_one_it_did_not()
    {
        var (first, second, stranger) = (DesiredStateSigner.NewPrivateKey(), DesiredStateSigner.NewPrivateKey(), DesiredStateSigner.NewPrivateKey());
        var settings = fixture.NewSiloSettings("rotate").WithFixedMqttPorts();
        SiloSettings With(string key, string? previous = null) => settings with
        {
            Environment = previous is null
                ? new Dictionary<string, string> { ["FLEETMFA_SIGNING_KEY"] = key }
                : new Dictionary<string, string> { ["FLEETMFA_SIGNING_KEY"] = key, ["FLEETMFA_SIGNING_KEY_PREVIOUS"] = previous },
        };

        AgentFlowResult flow;
        await using (var silo = await SiloProcess.StartAsync(With(first)))
        {
            flow = await AgentFlow.RunAsync(silo, fixture.Workspace, "rotate");
            Assert.Equal(0, await silo.StopAsync());
        }

        await using var agent = flow.Agent;
        var (org, device) = (flow.OrgId, flow.DeviceId);
        var store = new AgentStore(agent.DataDirectory);
        Assert.Equal(KeyIdOf(first), store.LoadConfig()!.SigningKey!.KeyId);

        // The rotation: the new key signs, endorsed by the first; the next change applies and moves the pin.
        await using (var silo = await SiloProcess.StartAsync(With(second, previous: first)))
        {
            (await silo.Admin.PostAsync($"/api/orgs/{org}/devices/{device}/mfa/disable")).Ok();
            await silo.Admin.WaitForMfaStatusAsync(org, device, "disabled");
            Assert.Equal(KeyIdOf(second), store.LoadConfig()!.SigningKey!.KeyId);
            await Poll.UntilAsync(() => agent.AllLogs().Contains($"{KeyIdOf(second)} is pinned now", StringComparison.Ordinal), "the agent logging the new pin");
            Assert.Equal(0, await silo.StopAsync());
        }

        // The rotation is over: the new key alone.
        long held;
        await using (var silo = await SiloProcess.StartAsync(With(second)))
        {
            await silo.Admin.EnableMfaAsync(org, device);
            held = (long)(await silo.Admin.WaitForMfaStatusAsync(org, device, "enabled"))["mfa"]!["appliedVersion"]!;
            Assert.Equal(0, await silo.StopAsync());
        }

        // A key the pinned key never endorsed: the change does not apply, and the device says why.
        await using (var silo = await SiloProcess.StartAsync(With(stranger)))
        {
            (await silo.Admin.PostAsync($"/api/orgs/{org}/devices/{device}/mfa/disable")).Ok();
            var refused = await Poll.UntilAsync(
                async () => (await silo.Admin.ReadAuditAsync(org)).Where(i => (string?)i["action"] == AuditActions.UntrustedDesiredState && (string?)i["deviceId"] == device).ToList(),
                items => items.Count > 0,
                $"an untrusted-desired-state event from {device}",
                TimeSpan.FromSeconds(60));
            Assert.All(refused, i => Assert.Equal(UntrustedReasons.UnknownKey, (string?)i["detail"]));
            var applied = store.Load()!;
            Assert.Equal((held, true), (applied.Version, applied.Mfa));
            Assert.Equal(KeyIdOf(second), store.LoadConfig()!.SigningKey!.KeyId);
        }
    }

    private static string KeyIdOf(string privateKey)
    {
        using var signer = DesiredStateSigner.FromPrivateKey(privateKey);
        return signer.KeyId;
    }
}
