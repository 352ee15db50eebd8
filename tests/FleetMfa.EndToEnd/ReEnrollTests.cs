using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>
/// Enrolling a device that is already enrolled: refused unless <c>--force</c>, which starts from an empty store — the
/// old store's applied version (ahead of a new device's) would otherwise make the agent ignore every desired state.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class ReEnrollTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task Enrolling_again_needs_force_and_then_starts_a_new_device_from_an_empty_store()
    {
        var flow = await AgentFlow.RunAsync(fixture.Silo, fixture.Workspace, "re-enroll");
        await using var agent = flow.Agent;
        Assert.Equal(0, await agent.StopDaemonAsync());
        var admin = fixture.Silo.Admin;
        var (_, connectKey) = await admin.CreateConnectKeyAsync(flow.OrgId);

        var refused = await agent.EnrollAsync(fixture.Silo.AgentAddress, connectKey);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"already enrolled as {flow.OrgId}/{flow.DeviceId}", refused.Output, StringComparison.Ordinal);

        var forced = await agent.EnrollAsync(fixture.Silo.AgentAddress, connectKey, force: true);
        Assert.True(forced.ExitCode == 0, forced.Output);
        Assert.NotEqual(flow.DeviceId, agent.DeviceId);
        var status = await agent.StatusAsync();
        Assert.Equal((0L, false, 0), ((long)status["appliedVersion"]!, (bool)status["mfa"]!, status["users"]!.AsArray().Count));

        // The new device follows its own desired states from version 1 on.
        agent.StartDaemon();
        await admin.EnableMfaAsync(flow.OrgId, agent.DeviceId);
        await admin.WaitForMfaStatusAsync(flow.OrgId, agent.DeviceId, "enabled");
    }
}
