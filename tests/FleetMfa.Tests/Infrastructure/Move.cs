namespace FleetMfa.Tests.Infrastructure;

/// <summary>One move in a property test's random sequence of commands (<see cref="Moves"/>): <see cref="Kind"/> picks the command, the rest its arguments.</summary>
public sealed record Move(int Kind, int A, int B, bool Flag);
