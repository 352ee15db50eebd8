namespace FleetMfa.Agent.Platform;

/// <summary>
/// What <see cref="IPlatform.CheckPolicy"/> found: the applied policy is in effect, was put back in effect
/// (<see cref="Repairs"/> says what had drifted), or is not in effect and could not be put right (<see cref="Problem"/>).
/// </summary>
public sealed record PolicyCheck(PolicyCheckStatus Status, IReadOnlyList<string> Repairs, string? Problem)
{
    public static PolicyCheck InEffect { get; } = new(PolicyCheckStatus.InEffect, [], null);

    public static PolicyCheck Repaired(IReadOnlyList<string> repairs) => new(PolicyCheckStatus.Repaired, repairs, null);

    public static PolicyCheck NotEffective(string problem) => new(PolicyCheckStatus.NotEffective, [], problem);
}
