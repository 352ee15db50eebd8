using FleetMfa.Grains;
using FleetMfa.Grains.Devices;

namespace FleetMfa.Tests.Devices;

/// <summary><see cref="DeviceViews"/>, without a cluster: a bound user's status on the device, and when a row must reach the index.</summary>
public sealed class DeviceViewsTests
{
    private static readonly OrgPolicy TotpOn = new(true, new TotpParameters(6, 30, "SHA1", 1), 2);
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    // MFA on, the user's status, the secret version the agent holds (-1: none reported) → on the device
    [InlineData(false, TotpStatus.Enrolled, 2, OnDeviceStatus.NotRequired)]
    [InlineData(true, TotpStatus.PendingSetup, -1, OnDeviceStatus.NotRequired)]
    [InlineData(true, TotpStatus.NotEnrolled, 2, OnDeviceStatus.NotRequired)]
    [InlineData(true, TotpStatus.Enrolled, -1, OnDeviceStatus.Pending)]
    [InlineData(true, TotpStatus.Enrolled, 1, OnDeviceStatus.Pending)]
    [InlineData(true, TotpStatus.Enrolled, 2, OnDeviceStatus.Active)]
    public void A_bound_user_is_active_only_once_the_agent_holds_the_current_secret_of_a_prompted_user(bool mfa, TotpStatus status, int held, OnDeviceStatus expected)
    {
        var state = DeviceTwinTests.Device(TotpOn);
        if (mfa)
        {
            DeviceTwin.EnableMfa(state, force: false, TotpOn);
        }

        var bound = new BoundUser { LocalUsername = "asmith", Username = "Alice", TotpStatus = status, SecretVersion = 2 };

        var user = DeviceViews.User(state, "alice", bound, held < 0 ? null : held);

        Assert.Equal(new DeviceUserStatus("alice", "Alice", "asmith", status, expected), user);
    }

    [Theory]
    // minutes between the indexed "last seen" and the new one, whether something else changed → the index must hear of it
    [InlineData(0, false, false)]
    [InlineData(9, false, false)]
    [InlineData(10, false, true)]
    [InlineData(1, true, true)]
    public void Last_seen_alone_reaches_the_index_at_most_every_ten_minutes(int minutes, bool otherChange, bool expected)
    {
        var state = DeviceTwinTests.Device(TotpOn);
        var indexed = DeviceViews.Row("web-01", state, online: true, Now);

        var row = DeviceViews.Row("web-01", state, online: !otherChange, Now.AddMinutes(minutes));

        Assert.Equal(expected, DeviceViews.NeedsIndexing(row, indexed));
        Assert.True(DeviceViews.NeedsIndexing(row, null));
    }
}
