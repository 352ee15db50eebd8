using FleetMfa.Grains;
using FleetMfa.Grains.Devices;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Devices;

/// <summary><see cref="DeviceCredentials"/>: which certificates a device may connect with, and its renewal.</summary>
public sealed class DeviceCredentialsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Key = [1, 2, 3];

    private static DeviceState Enrolled() => new() { Certificate = new DeviceCertificate("0A01", Key, Now.AddDays(30)) };

    [Fact]
    public void The_current_certificate_is_accepted_by_serial_in_any_case_and_nothing_else_is()
    {
        var state = Enrolled();

        Assert.True(DeviceCredentials.AcceptsCertificate(state, "0a01", Now));
        Assert.False(DeviceCredentials.AcceptsCertificate(state, "0A02", Now));
        Assert.False(DeviceCredentials.AcceptsCertificate(state, "", Now));
        Assert.False(DeviceCredentials.AcceptsCertificate(new DeviceState(), "0A01", Now));
    }

    [Fact]
    public void A_renewal_for_the_same_key_keeps_the_replaced_certificate_until_it_expires()
    {
        var state = Enrolled();

        Assert.Empty(DeviceCredentials.Renew(state, new DeviceCertificate("0B02", [1, 2, 3], Now.AddDays(40))));

        Assert.True(DeviceCredentials.AcceptsCertificate(state, "0B02", Now));
        Assert.True(DeviceCredentials.AcceptsCertificate(state, "0A01", Now.AddDays(29)));
        Assert.False(DeviceCredentials.AcceptsCertificate(state, "0A01", Now.AddDays(30)));
    }

    [Fact]
    public void A_renewal_for_another_key_or_of_a_decommissioned_device_is_refused_and_changes_nothing()
    {
        var state = Enrolled();
        Assert.Equal(ErrorCodes.Unauthorized, Assert.Throws<FleetMfaException>(() => DeviceCredentials.Renew(state, new DeviceCertificate("0C03", [9], Now.AddDays(30)))).Code);

        state.Decommission = new DeviceDecommission(Now, 2, false, null);
        Assert.False(DeviceCredentials.MayRenew(state, Key));
        Assert.Throws<FleetMfaException>(() => DeviceCredentials.Renew(state, new DeviceCertificate("0C03", Key, Now.AddDays(30))));
        Assert.Equal("0A01", state.Certificate!.Serial);
        Assert.Null(state.PreviousCertificate);
    }

    [Fact]
    public void The_revocation_after_a_decommission_takes_every_certificate_away()
    {
        var state = DeviceTwinTests.Device(new OrgPolicy(false, new TotpParameters(6, 30, "SHA1", 1), 1));
        state.Certificate = new DeviceCertificate("0A01", Key, Now.AddDays(30));
        DeviceCredentials.Renew(state, new DeviceCertificate("0B02", Key, Now.AddDays(40)));

        DecommissionTwin.Decommission(state, Now);
        Assert.True(DeviceCredentials.AcceptsCertificate(state, "0B02", Now), "the wipe still needs the broker during the grace");
        DecommissionTwin.RevokeAfterGrace(state, Now.AddMinutes(2), TimeSpan.FromMinutes(1));

        Assert.False(DeviceCredentials.AcceptsCertificate(state, "0B02", Now));
        Assert.False(DeviceCredentials.AcceptsCertificate(state, "0A01", Now));
    }

    [Fact]
    public void An_agent_enrolls_with_a_certificate_and_no_password_but_never_with_neither_or_a_malformed_hash()
    {
        var policy = new OrgPolicy(true, new TotpParameters(6, 30, "SHA1", 1), 1);
        var certificate = new DeviceCertificate("0A01", Key, Now.AddDays(30));
        var state = new DeviceState();

        DeviceTwin.EnrollAgent(state, new AgentEnrollment("web-01", DeviceOs.Linux, "Debian 12", TestKeys.PublicKey, null, certificate), policy, Now);

        Assert.Equal((certificate, (byte[]?)null), (state.Certificate, state.MqttPasswordHash));
        Assert.False(DeviceCredentials.AcceptsPassword(state, new byte[32]));
        foreach (var hash in new byte[]?[] { null, new byte[31] })
        {
            var fresh = new DeviceState();
            Assert.Equal(
                ErrorCodes.Validation,
                Assert.Throws<FleetMfaException>(() => DeviceTwin.EnrollAgent(fresh, new AgentEnrollment("web-01", DeviceOs.Linux, "Debian 12", TestKeys.PublicKey, hash), policy, Now)).Code);
            Assert.False(fresh.Registered);
        }
    }
}
