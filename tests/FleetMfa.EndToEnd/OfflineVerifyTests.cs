using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>
/// No network is needed on the device to verify a code (seed; DESIGN §5): with the silo and the broker gone, the agent
/// still accepts a valid code, rejects a wrong one, and locks the user out after five failures.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class OfflineVerifyTests(EndToEndFixture fixture)
{
    [Theory]
    [InlineData(BrokerKind.Embedded)]
    [InlineData(BrokerKind.Mosquitto)]
    public async Task Verify_decides_from_the_local_store_with_the_control_plane_and_broker_stopped(BrokerKind kind)
    {
        var name = $"offline-verify-{kind.ToString().ToLowerInvariant()}";
        AgentFlowResult flow;
        await using (var plane = await ControlPlane.StartAsync(kind, fixture.NewSiloSettings(name), fixture.Workspace))
        {
            flow = await AgentFlow.RunAsync(plane.Silo, fixture.Workspace, name);
            Assert.Equal(0, await plane.Silo.StopAsync());
            if (plane.Mosquitto is { } mosquitto)
            {
                await mosquitto.StopAsync();
            }
        }

        await using var agent = flow.Agent;
        var user = flow.LocalUsername;
        Assert.False(agent.Daemon!.HasExited, "the daemon keeps running (and retrying) without its broker");

        Assert.Equal(0, await agent.VerifyAsync(user, Oathtool.Totp(flow.Secret)));
        var wrong = Oathtool.WrongTotp(flow.Secret);
        for (var failure = 1; failure <= 5; failure++)
        {
            Assert.Equal(1, await agent.VerifyAsync(user, wrong));
        }

        // Locked out: even the current code (a new time step or not) is refused with exit 3.
        Assert.Equal(3, await agent.VerifyAsync(user, Oathtool.Totp(flow.Secret)));
        Assert.Equal(3, await agent.VerifyAsync(user, Oathtool.Totp(flow.Secret, DateTimeOffset.UtcNow.AddSeconds(30))));

        // A local account the device does not prompt is not affected.
        Assert.Equal(0, await agent.VerifyAsync("someone-else", wrong));
    }
}
