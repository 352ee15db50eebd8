using FleetMfa.Testing.Fleet;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// The seed walk-through with a real agent, each step asserted: org with TOTP on → connect key → <c>enroll</c> →
/// <c>run</c> → the device is listed online → MFA on → the agent acks (<c>enabled</c>, applied == desired) → a user
/// completes setup with an oathtool code and is bound under another local name → <c>active</c> on the device.
/// </summary>
public static class AgentFlow
{
    public static async Task<AgentFlowResult> RunAsync(SiloProcess silo, TestWorkspace workspace, string name)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var admin = silo.Admin;
        var (org, _, connectKey) = await TestOrg.CreateAsync(silo.Api, TestIds.Unique(name));

        var agent = DeviceAgent.Create(workspace, $"{name}-host");
        try
        {
            await agent.EnrollAndGoOnlineAsync(silo, org, connectKey);
            Assert.Equal(org, agent.OrgId);
            Assert.StartsWith($"{name}-host-", agent.DeviceId, StringComparison.Ordinal);

            await admin.EnableMfaAsync(org, agent.DeviceId);
            await admin.WaitForMfaStatusAsync(org, agent.DeviceId, "enabled");

            const string userId = "alice";
            const string localUsername = "asmith";
            var secret = await admin.CreateEnrolledUserAsync(org, userId);
            await admin.BindAsync(org, agent.DeviceId, userId, localUsername);
            await admin.WaitForOnDeviceAsync(org, agent.DeviceId, userId, "active");
            await admin.WaitForMfaStatusAsync(org, agent.DeviceId, "enabled");
            return new AgentFlowResult(agent, org, agent.DeviceId, userId, localUsername, secret);
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }
    }
}
