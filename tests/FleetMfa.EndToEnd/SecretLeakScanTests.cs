using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Agents;
using FleetMfa.Testing.Storage;

namespace FleetMfa.EndToEnd;

/// <summary>
/// After a whole flow with a real agent, the TOTP secret is nowhere in plaintext (DESIGN §4, §7; STYLE): not in
/// storage, not on the broker (the desired state carries it sealed to the device's key), not in any log, not in the
/// broker's persistence. Nor is the control plane's desired-state signing key anywhere but its own file in the silo's
/// data directory. Each run has an Azurite (and a Mosquitto) of its own, so every file they wrote is scanned.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class SecretLeakScanTests(EndToEndFixture fixture)
{
    private const int TagBytes = 16;

    [Theory]
    [InlineData(BrokerKind.Embedded)]
    [InlineData(BrokerKind.Mosquitto)]
    public async Task The_secret_is_only_ever_sealed_or_encrypted_outside_the_users_authenticator(BrokerKind kind)
    {
        var name = $"leakscan-{kind.ToString().ToLowerInvariant()}";
        var workspace = fixture.Workspace;
        await using var storage = await AzuriteServer.StartAsync(workspace.NewDirectory("azurite"));
        var settings = fixture.NewSiloSettings(name) with { Storage = storage.ConnectionString };
        await using var plane = await ControlPlane.StartAsync(kind, settings, workspace);
        var flow = await AgentFlow.RunAsync(plane.Silo, workspace, name);
        await using var agent = flow.Agent;
        var scanner = new SecretScanner(flow.Secret);
        byte[] binaryProperty = [0x20, 0x21, .. scanner.Raw, 0x22];
        Assert.NotEmpty(scanner.FindIn(Encoding.ASCII.GetBytes($"{{\"Data\":\"{Convert.ToBase64String(binaryProperty)}\"}}")));

        // Logins leave a ledger and an audit queue in the agent's store.
        Assert.Equal(0, await agent.VerifyAsync(flow.LocalUsername, Oathtool.Totp(flow.Secret)));
        Assert.Equal(1, await agent.VerifyAsync(flow.LocalUsername, Oathtool.WrongTotp(flow.Secret)));

        // The retained desired state, read as the device itself (the agent steps aside: one session per device).
        Assert.Equal(0, await agent.StopDaemonAsync());
        var credential = agent.MqttCredential();
        var desiredTopic = $"fleetmfa/v1/{flow.OrgId}/{flow.DeviceId}/desired";
        byte[] desired;
        await using (var probe = await credential.ConnectEventuallyAsync())
        {
            await probe.SubscribeAsync(desiredTopic);
            desired = (await probe.WaitForMessageAsync(desiredTopic)).Payload;
        }

        var user = Assert.Single(JsonNode.Parse(DesiredMessages.Document(desired))!["users"]!.AsArray())!;
        Assert.Equal(flow.UserId, (string?)user["userId"]);
        var sealedSecret = user["secret"]!.AsObject();
        Assert.Equal(["ciphertext", "ephemeralKey", "nonce"], sealedSecret.Select(p => p.Key).Order(StringComparer.Ordinal));
        var ciphertext = Convert.FromBase64String((string)sealedSecret["ciphertext"]!);
        Assert.Equal(scanner.Raw.Length + TagBytes, ciphertext.Length);
        Assert.False(ciphertext.AsSpan(0, scanner.Raw.Length).SequenceEqual(scanner.Raw), "the 'sealed' secret is the plaintext");
        scanner.AssertAbsent("the retained desired state", desired);

        // A last write after everything else: once Azurite has it on disk, it has every earlier one (one LokiJS save).
        var marker = $"marker{Guid.NewGuid():N}"[..20];
        await plane.Admin.CreateUserAsync(flow.OrgId, marker);
        var azurite = storage.DataDirectory!;
        await Poll.UntilAsync(
            () => Task.FromResult(Directory.EnumerateFiles(azurite, "*", SearchOption.AllDirectories).Any(f => FileContains(f, marker))),
            saved => saved,
            $"Azurite saved the marker write to {azurite}");

        Assert.Equal(0, await plane.Silo.StopAsync());
        if (plane.Mosquitto is { } mosquitto)
        {
            await mosquitto.StopAsync();
            Assert.True(FileContains(mosquitto.PersistenceFile, desiredTopic), $"{mosquitto.PersistenceFile} does not hold the retained desired state");
            scanner.AssertAbsentFromFiles("Mosquitto's files", mosquitto.Directory);
            scanner.AssertAbsent("Mosquitto's log", mosquitto.Process.Output);
        }

        Assert.True(scanner.AssertAbsentFromFiles("Azurite's files", azurite) > 0, $"Azurite wrote no files under {azurite}");
        scanner.AssertAbsent("the silo output", plane.Silo.Output);
        scanner.AssertAbsentFromFiles("the silo data dir", settings.DataDirectory);
        scanner.AssertAbsent("the agent logs", agent.AllLogs());
        Assert.Contains("applied desired state", agent.AllLogs(), StringComparison.Ordinal);
        scanner.AssertAbsentFromFiles("the agent's store", agent.DataDirectory);

        // The signing key's private scalar: in signing.key (0600) and nowhere else.
        using var signingKey = ECDsa.Create();
        signingKey.ImportPkcs8PrivateKey(Convert.FromBase64String(File.ReadAllText(Path.Combine(settings.DataDirectory, "signing.key"))), out _);
        var keyScanner = SecretScanner.ForKey(signingKey.ExportParameters(includePrivateParameters: true).D!, "The desired-state signing key");
        Assert.NotEmpty(keyScanner.FindIn(File.ReadAllBytes(Path.Combine(settings.DataDirectory, "signing.key"))));
        keyScanner.AssertAbsent("the retained desired state", desired);
        if (plane.Mosquitto is { } broker)
        {
            keyScanner.AssertAbsentFromFiles("Mosquitto's files", broker.Directory);
            keyScanner.AssertAbsent("Mosquitto's log", broker.Process.Output);
        }

        keyScanner.AssertAbsentFromFiles("Azurite's files", azurite);
        keyScanner.AssertAbsent("the silo output", plane.Silo.Output);
        keyScanner.AssertAbsent("the agent logs", agent.AllLogs());
        keyScanner.AssertAbsentFromFiles("the agent's store", agent.DataDirectory);

        // The device's TLS key (the embedded broker's device certificates): sealed in the agent's store, nowhere in clear.
        if (credential.Certificate?.GetECDsaPrivateKey() is { } tlsKey)
        {
            using (tlsKey)
            {
                var tlsScanner = SecretScanner.ForKey(tlsKey.ExportParameters(includePrivateParameters: true).D!, "The device's MQTT TLS key");
                tlsScanner.AssertAbsentFromFiles("Azurite's files", azurite);
                tlsScanner.AssertAbsent("the silo output", plane.Silo.Output);
                tlsScanner.AssertAbsentFromFiles("the silo data dir", settings.DataDirectory);
                tlsScanner.AssertAbsent("the agent logs", agent.AllLogs());
                tlsScanner.AssertAbsentFromFiles("the agent's store", agent.DataDirectory);
            }
        }
    }

    private static bool FileContains(string path, string text)
    {
        try
        {
            return File.ReadAllBytes(path).AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
        }
        catch (IOException)
        {
            // Being replaced right now (Azurite and Mosquitto save to a new file and rename it).
            return false;
        }
    }
}
