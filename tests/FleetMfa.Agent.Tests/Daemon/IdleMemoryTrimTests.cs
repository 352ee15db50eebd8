using FleetMfa.Agent.Daemon;

namespace FleetMfa.Agent.Tests.Daemon;

public sealed class IdleMemoryTrimTests
{
    private long _allocated;
    private int _collections;

    private IdleMemoryTrim NewTrim() => new(() => _allocated, () => _collections++);

    [Fact]
    public void What_start_up_allocated_is_trimmed_on_the_first_tick()
    {
        _allocated = IdleMemoryTrim.Threshold;
        var trim = NewTrim();

        Assert.True(trim.TrimIfAllocated());
        Assert.Equal(1, _collections);
    }

    [Fact]
    public void An_idle_daemon_is_not_collected_again_and_again()
    {
        _allocated = IdleMemoryTrim.Threshold;
        var trim = NewTrim();
        trim.TrimIfAllocated();

        _allocated += IdleMemoryTrim.Threshold - 1;
        Assert.False(trim.TrimIfAllocated());
        Assert.False(trim.TrimIfAllocated());

        Assert.Equal(1, _collections);
    }

    [Fact]
    public void Work_after_a_trim_brings_the_next_one()
    {
        _allocated = IdleMemoryTrim.Threshold;
        var trim = NewTrim();
        trim.TrimIfAllocated();

        _allocated += IdleMemoryTrim.Threshold;

        Assert.True(trim.TrimIfAllocated());
        Assert.Equal(2, _collections);
    }

    [Fact]
    public void The_process_trim_is_a_full_blocking_collection()
    {
        var trim = IdleMemoryTrim.ForThisProcess();
        trim.TrimIfAllocated();
        var before = GC.GetGCMemoryInfo(GCKind.FullBlocking).Index;
        for (var i = 0; i < 64; i++)
        {
            GC.KeepAlive(new byte[16 * 1024]);
        }

        Assert.True(trim.TrimIfAllocated());
        var collection = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        Assert.True(collection.Index > before);
        Assert.Equal(GC.MaxGeneration, collection.Generation);
    }
}
