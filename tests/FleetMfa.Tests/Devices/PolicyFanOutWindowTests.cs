using FleetMfa.Grains.Devices;

namespace FleetMfa.Tests.Devices;

/// <summary>The index shard's flow control for the policy fan-out, without a cluster.</summary>
public sealed class PolicyFanOutWindowTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static PolicyFanOutWindow Window(params string[] queued)
    {
        var window = new PolicyFanOutWindow(2, Timeout);
        foreach (var id in queued)
        {
            window.Enqueue(id);
        }

        return window;
    }

    private static bool Everyone(string _) => true;

    [Fact]
    public void Sends_in_queue_order_no_more_than_the_window_and_one_more_per_acknowledgement()
    {
        var window = Window("a", "b", "c", "d");

        Assert.Equal(["a", "b"], window.Take(7, T0, Everyone, out _));
        Assert.Empty(window.Take(7, T0, Everyone, out _));

        Assert.True(window.Acknowledge("b", 7));
        Assert.Equal(["c"], window.Take(7, T0, Everyone, out _));
        Assert.Equal(2, window.Unacknowledged);
        Assert.False(window.IsIdle);
    }

    [Fact]
    public void An_acknowledgement_of_an_older_version_frees_no_place()
    {
        var window = Window("a", "b", "c");
        window.Take(7, T0, Everyone, out _);

        Assert.False(window.Acknowledge("a", 6));
        Assert.False(window.Acknowledge("c", 7));

        Assert.Empty(window.Take(7, T0, Everyone, out _));
        Assert.True(window.Acknowledge("a", 8));
        Assert.Equal(["c"], window.Take(8, T0, Everyone, out _));
    }

    [Fact]
    public void A_device_that_does_not_acknowledge_in_time_is_sent_again_with_the_current_version()
    {
        var window = Window("a", "b", "c");
        window.Take(7, T0, Everyone, out _);

        Assert.Empty(window.Take(7, T0 + Timeout - TimeSpan.FromTicks(1), Everyone, out var early));
        Assert.Equal(0, early);

        Assert.Equal(["a", "b"], window.Take(8, T0 + Timeout, Everyone, out var resent));
        Assert.Equal(2, resent);
        Assert.False(window.Acknowledge("a", 7));
        Assert.True(window.Acknowledge("a", 8));
    }

    [Fact]
    public void Devices_no_longer_behind_are_skipped_and_an_overdue_one_that_caught_up_frees_its_place()
    {
        var window = Window("a", "b", "c", "d");
        window.Take(7, T0, Everyone, out _);

        var sent = window.Take(7, T0 + Timeout, id => id is "b" or "d", out var resent);

        Assert.Equal(["b", "d"], sent);
        Assert.Equal(1, resent);
        Assert.True(window.Acknowledge("b", 7));
        Assert.True(window.Acknowledge("d", 7));
        Assert.True(window.IsIdle);
    }

    [Fact]
    public void A_device_is_queued_once_and_not_while_it_awaits_its_acknowledgement()
    {
        var window = Window("a", "a", "b");
        Assert.Equal(["a", "b"], window.Take(7, T0, Everyone, out _));
        window.Enqueue("a");

        Assert.True(window.Acknowledge("a", 7));
        Assert.True(window.Acknowledge("b", 7));
        Assert.True(window.IsIdle);
    }

    [Fact]
    public void Clearing_the_queue_keeps_the_devices_awaiting_acknowledgement_and_a_forgotten_device_frees_its_place()
    {
        var window = Window("a", "b", "c");
        window.Take(7, T0, Everyone, out _);

        window.ClearQueue();
        window.Forget("a");

        Assert.Equal(1, window.Unacknowledged);
        Assert.Empty(window.Take(8, T0, Everyone, out _));
        Assert.True(window.Acknowledge("b", 8));
        Assert.True(window.IsIdle);
    }
}
