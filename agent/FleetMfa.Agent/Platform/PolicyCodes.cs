namespace FleetMfa.Agent.Platform;

/// <summary>
/// Stable reason codes that start a policy failure's reason (<c>code: what happened</c>), so the control plane and the
/// operator can tell the cases apart without parsing prose.
/// </summary>
public static class PolicyCodes
{
    /// <summary>The OS accepted the files, but its effective configuration is not the policy (sshd ignores the drop-in).</summary>
    public const string SshPolicyNotEffective = "ssh-policy-not-effective";

    /// <summary>The managed files had changed under the agent and were put back.</summary>
    public const string DriftRepaired = "policy-drift-repaired";

    /// <summary>The managed files or the effective configuration differ from the policy and the agent could not put it right.</summary>
    public const string DriftUnrepairable = "policy-drift-unrepairable";
}
