namespace FleetMfa.Agent.Daemon;

/// <summary>The broker answered, but said no (bad credentials, ACL).</summary>
public sealed class BrokerRefusedException : Exception
{
    public BrokerRefusedException()
    {
    }

    public BrokerRefusedException(string message)
        : base(message)
    {
    }

    public BrokerRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
