using FleetMfa.Grains.Devices;

namespace FleetMfa.Tests.Devices;

/// <summary><see cref="PublishHistory"/>: ack latency runs from a version's first publish and is counted once.</summary>
public sealed class PublishHistoryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Nothing_published_here_measures_no_ack()
    {
        var history = new PublishHistory();

        Assert.Null(history.Acked(5, T0));
        Assert.Equal(-1, history.LastVersion);
    }

    [Fact]
    public void A_republish_does_not_restart_the_latency_and_an_ack_is_measured_once()
    {
        var history = new PublishHistory();
        history.Published(3, T0, T0.AddSeconds(1));
        history.Published(3, T0.AddSeconds(10), T0.AddSeconds(11));

        Assert.Equal((3L, T0.AddSeconds(11)), (history.LastVersion, history.LastAt));
        Assert.Null(history.Acked(2, T0.AddSeconds(12)));
        Assert.Equal(TimeSpan.FromSeconds(12), history.Acked(3, T0.AddSeconds(12)));
        Assert.Null(history.Acked(3, T0.AddSeconds(13)));

        history.Published(4, T0.AddSeconds(20), T0.AddSeconds(21));
        Assert.Equal(TimeSpan.FromSeconds(5), history.Acked(6, T0.AddSeconds(25)));
    }
}
