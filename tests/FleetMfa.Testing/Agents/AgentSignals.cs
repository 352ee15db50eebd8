using System.Diagnostics;
using System.Text;

namespace FleetMfa.Testing.Agents;

/// <summary>
/// The daemon's log output, read instead of printed: the daemon logs "subscribed to the desired state" once it listens,
/// and "applied desired state version V (mfa True|False, U users)" after each apply. Each becomes a timestamp
/// (<see cref="Stopwatch"/> ticks) the benchmarks read; warnings are counted and the last one kept.
/// </summary>
public sealed class AgentSignals : TextWriter
{
    private long _subscribedAt;
    private long _mfaOnAppliedAt;
    private int _applied;
    private int _warnings;
    private int _untrustedReceipts;

    public override Encoding Encoding => Encoding.UTF8;

    public long SubscribedAt => Volatile.Read(ref _subscribedAt);

    /// <summary>When the daemon applied a desired state with MFA on (0 until then).</summary>
    public long MfaOnAppliedAt => Volatile.Read(ref _mfaOnAppliedAt);

    public int Applied => Volatile.Read(ref _applied);

    public int Warnings => Volatile.Read(ref _warnings);

    /// <summary>Receipts the daemon ignored because they were not signed for its device ("ignored an audit receipt").</summary>
    public int UntrustedReceipts => Volatile.Read(ref _untrustedReceipts);

    public string? LastWarning { get; private set; }

    public override void Write(char value)
    {
    }

    public override void WriteLine(string? value)
    {
        if (value is null)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        if (value.Contains(" warning ", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _warnings);
            LastWarning = value;
            if (value.Contains("ignored an audit receipt", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _untrustedReceipts);
            }
        }
        else if (value.Contains("subscribed to the desired state", StringComparison.Ordinal))
        {
            Interlocked.CompareExchange(ref _subscribedAt, now, 0);
        }
        else if (value.Contains("applied desired state version", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _applied);
            if (value.Contains("(mfa True", StringComparison.Ordinal))
            {
                Interlocked.CompareExchange(ref _mfaOnAppliedAt, now, 0);
            }
        }
    }
}
