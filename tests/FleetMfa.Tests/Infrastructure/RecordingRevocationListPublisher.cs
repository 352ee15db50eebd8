using System.Collections.Concurrent;
using FleetMfa.Grains;
using FleetMfa.Grains.Revocation;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>
/// Unit-test stand-in for the broker's revocation files: records every list handed over, and refuses the next hand-over
/// of a list that names a given username when told to (a broker whose files cannot be written).
/// </summary>
public sealed class RecordingRevocationListPublisher : IRevocationListPublisher
{
    private readonly ConcurrentQueue<RevocationList> _published = new();
    private readonly ConcurrentDictionary<string, bool> _failNext = new(StringComparer.Ordinal);

    public Task PublishAsync(RevocationList list, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(list);
        foreach (var username in list.Certificates.Select(c => c.Username).Distinct(StringComparer.Ordinal))
        {
            if (_failNext.TryRemove(username, out _))
            {
                throw new IOException($"The broker's revocation files could not be written (injected for {username}).");
            }
        }

        _published.Enqueue(list);
        return Task.CompletedTask;
    }

    /// <summary>The next hand-over of a list naming <paramref name="username"/> fails.</summary>
    public void FailNext(string username) => _failNext[username] = true;

    /// <summary>How many lists handed over named <paramref name="username"/>.</summary>
    public int Count(string username) => _published.Count(l => l.Certificates.Any(c => c.Username == username));

    /// <summary>The last list handed over that names <paramref name="username"/>, or null.</summary>
    public RevocationList? Last(string username) => _published.LastOrDefault(l => l.Certificates.Any(c => c.Username == username));
}
