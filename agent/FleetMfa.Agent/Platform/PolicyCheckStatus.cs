namespace FleetMfa.Agent.Platform;

public enum PolicyCheckStatus
{
    /// <summary>Everything the policy needs is in place and in effect.</summary>
    InEffect,

    /// <summary>Something had drifted (a file rewritten or deleted) and the agent put it back; now in effect.</summary>
    Repaired,

    /// <summary>Not in effect, and the agent cannot fix it (e.g. sshd no longer includes the drop-in).</summary>
    NotEffective,
}
