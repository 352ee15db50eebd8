namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// What one device may publish on the embedded broker: a token bucket that holds <c>burst</c> messages and refills at
/// <c>messagesPerSecond</c>. An agent publishes a handful of messages at a time (presence, a report, an audit batch),
/// far below the rate; a device that floods its topics gets its burst and then the rate, and the broker drops the rest
/// before the bridge sees it.
/// </summary>
public sealed class PublishBudget
{
    private readonly TimeProvider _time;
    private readonly double _messagesPerSecond;
    private readonly double _burst;
    private readonly Lock _gate = new();
    private double _tokens;
    private long _refilledAt;
    private bool _throttling;

    public PublishBudget(double messagesPerSecond, int burst, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(messagesPerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _messagesPerSecond = messagesPerSecond;
        _burst = burst;
        _tokens = burst;
        _refilledAt = time.GetTimestamp();
    }

    /// <summary>
    /// Takes one message from the budget. False when it is spent; <paramref name="startsThrottling"/> is then true for
    /// the first refusal after a message went through, so a flood is logged once, not once per message.
    /// </summary>
    public bool TryTake(out bool startsThrottling)
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            _tokens = Math.Min(_burst, _tokens + (_time.GetElapsedTime(_refilledAt, now).TotalSeconds * _messagesPerSecond));
            _refilledAt = now;
            if (_tokens >= 1)
            {
                _tokens -= 1;
                _throttling = false;
                startsThrottling = false;
                return true;
            }

            startsThrottling = !_throttling;
            _throttling = true;
            return false;
        }
    }
}
