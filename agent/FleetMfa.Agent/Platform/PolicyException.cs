namespace FleetMfa.Agent.Platform;

/// <summary>The OS cannot enforce a desired policy; the message is the reason the agent reports (no secrets in it).</summary>
public sealed class PolicyException : Exception
{
    public PolicyException()
    {
    }

    public PolicyException(string message)
        : base(message)
    {
    }

    public PolicyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
