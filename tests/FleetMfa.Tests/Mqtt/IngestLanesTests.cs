using FleetMfa.Silo.Mqtt;

namespace FleetMfa.Tests.Mqtt;

/// <summary>One device holds at most <see cref="IngestLanes.PerDevice"/> places in the bridge; others are never affected.</summary>
public sealed class IngestLanesTests
{
    [Fact]
    public void A_device_gets_its_places_and_no_more_while_another_device_gets_its_own()
    {
        var lanes = new IngestLanes(perDevice: 3);
        Assert.All(Enumerable.Range(0, 3), _ => Assert.True(lanes.TryEnter("acme/flood")));
        Assert.False(lanes.TryEnter("acme/flood"));
        Assert.True(lanes.TryEnter("acme/quiet"));
        Assert.True(lanes.TryEnter("other/flood"));

        lanes.Leave("acme/flood");
        Assert.True(lanes.TryEnter("acme/flood"));
        Assert.False(lanes.TryEnter("acme/flood"));
    }

    [Fact]
    public void A_device_that_left_every_place_is_forgotten()
    {
        var lanes = new IngestLanes(perDevice: 2);
        lanes.TryEnter("acme/a");
        lanes.TryEnter("acme/a");
        lanes.TryEnter("acme/b");
        Assert.Equal(2, lanes.Devices);

        lanes.Leave("acme/a");
        lanes.Leave("acme/a");
        lanes.Leave("acme/b");
        lanes.Leave("acme/b"); // one too many changes nothing

        Assert.Equal(0, lanes.Devices);
        Assert.True(lanes.TryEnter("acme/b"));
        Assert.True(lanes.TryEnter("acme/b"));
        Assert.False(lanes.TryEnter("acme/b"));
    }

    [Fact]
    public void Places_taken_and_given_back_from_many_threads_add_up()
    {
        var lanes = new IngestLanes(perDevice: 4);
        var entered = 0;
        Parallel.For(0, 10_000, i =>
        {
            if (lanes.TryEnter("acme/flood"))
            {
                Interlocked.Increment(ref entered);
                lanes.Leave("acme/flood");
            }
        });

        Assert.True(entered > 0);
        Assert.Equal(0, lanes.Devices);
        Assert.Throws<ArgumentOutOfRangeException>(() => new IngestLanes(0));
    }
}
