using System.Threading.Channels;
using FleetMfa.Grains.Audit;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Audit;

/// <summary>Concurrent appends share writes, and each caller still learns about its own records only.</summary>
public sealed class GroupCommitAuditLogTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset At = new(2026, 11, 28, 3, 0, 0, TimeSpan.Zero);

    private readonly HeldAuditLog _inner = new();

    [Fact]
    public async Task A_lone_append_is_written_at_once()
    {
        var log = new GroupCommitAuditLog(_inner);
        var entry = Record("org-a");

        var added = log.AppendAsync([entry]);
        await _inner.WaitForWritesAsync(1);
        _inner.Release();

        Assert.Same(entry, Assert.Single(await added.WaitAsync(Timeout)));
        Assert.Equal([1], _inner.WriteSizes);
    }

    [Fact]
    public async Task Appends_made_while_a_write_is_in_flight_share_the_next_write_and_get_their_own_records_back()
    {
        var log = new GroupCommitAuditLog(_inner);
        var first = log.AppendAsync([Record("org-a")]);
        await _inner.WaitForWritesAsync(1);

        var waiting = Enumerable.Range(0, 20).Select(i => new[] { Record("org-a"), Record($"org-{i % 3}") }).ToArray();
        var appends = waiting.Select(entries => log.AppendAsync(entries)).ToArray();
        _inner.Release();
        await _inner.WaitForWritesAsync(2);
        _inner.Release();

        await first.WaitAsync(Timeout);
        for (var i = 0; i < waiting.Length; i++)
        {
            Assert.Equal(waiting[i], await appends[i].WaitAsync(Timeout));
        }

        Assert.Equal([1, 40], _inner.WriteSizes);
    }

    [Fact]
    public async Task A_record_already_stored_is_new_to_nobody_and_an_equal_one_handed_in_twice_is_new_to_one_caller()
    {
        var stored = new InMemoryAuditLog();
        var log = new GroupCommitAuditLog(stored);
        var old = Record("org-a");
        await stored.AppendAsync([old]);

        var twin = Record("org-a");
        var results = await Task.WhenAll(
            log.AppendAsync([old with { }]),
            log.AppendAsync([twin]),
            log.AppendAsync([twin with { }])).WaitAsync(Timeout);

        Assert.Empty(results[0]);
        Assert.Equal(1, results[1].Count + results[2].Count);
    }

    [Fact]
    public async Task A_bad_record_fails_only_its_caller()
    {
        var log = new GroupCommitAuditLog(new InMemoryAuditLog());

        await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync([Record("Not A Slug")]));
        Assert.Single(await log.AppendAsync([Record("org-a")]).WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_failed_write_fails_its_callers_and_the_next_append_is_written_again()
    {
        var log = new GroupCommitAuditLog(_inner);
        _inner.FailNext = new InvalidOperationException("storage is down");

        var failed = log.AppendAsync([Record("org-a")]);
        await _inner.WaitForWritesAsync(1);
        _inner.Release();
        await Assert.ThrowsAsync<InvalidOperationException>(() => failed.WaitAsync(Timeout));

        var retried = log.AppendAsync([Record("org-a")]);
        await _inner.WaitForWritesAsync(2);
        _inner.Release();
        Assert.Single(await retried.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Reads_go_to_the_stored_log()
    {
        var stored = new InMemoryAuditLog();
        var entry = Record("org-r");
        await stored.AppendAsync([entry]);

        var page = await new GroupCommitAuditLog(stored).ReadAsync("org-r", null, 10);

        Assert.Equal([entry], page.Items);
    }

    private static AuditEntry Record(string org) => new(
        org, $"op:{Guid.NewGuid():N}", At, AuditKind.Operator, "admin", null, "enable-device-mfa", $"org:{org}",
        null, null, null, "succeeded", null, false, At);

    /// <summary>Records every write's size and holds each write until the test releases it.</summary>
    private sealed class HeldAuditLog : IAuditLog
    {
        private readonly Channel<bool> _released = Channel.CreateUnbounded<bool>();
        private readonly Channel<bool> _started = Channel.CreateUnbounded<bool>();
        private readonly List<int> _sizes = [];

        public Exception? FailNext { get; set; }

        public Task ReplaceAsync(AuditEntry entry, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public IReadOnlyList<int> WriteSizes
        {
            get
            {
                lock (_sizes)
                {
                    return [.. _sizes];
                }
            }
        }

        public async Task<IReadOnlyList<AuditEntry>> AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken = default)
        {
            lock (_sizes)
            {
                _sizes.Add(entries.Count);
            }

            _started.Writer.TryWrite(true);
            await _released.Reader.ReadAsync(cancellationToken).AsTask().WaitAsync(Timeout, cancellationToken);
            if (FailNext is { } failure)
            {
                FailNext = null;
                throw failure;
            }

            return entries;
        }

        public Task<AuditPage> ReadAsync(string orgId, string? cursor, int limit, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public async Task WaitForWritesAsync(int count)
        {
            while (WriteSizes.Count < count)
            {
                await _started.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
            }
        }

        public void Release() => _released.Writer.TryWrite(true);
    }
}
