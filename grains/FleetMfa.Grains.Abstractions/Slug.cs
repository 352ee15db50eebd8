using System.Diagnostics.CodeAnalysis;
using FleetMfa.Protocol;

namespace FleetMfa.Grains;

/// <summary>
/// Org, device and user ids: <c>[a-z0-9][a-z0-9._-]{0,62}</c> (DESIGN §3). They become grain keys,
/// MQTT topic levels and storage keys, so nothing else is ever accepted. Same rule as the protocol's <see cref="Ids"/>.
/// </summary>
public static class Slug
{
    public const int MaxLength = Ids.MaxLength;

    public static bool IsValid([NotNullWhen(true)] string? value) => Ids.IsValid(value);

    /// <summary>Throws a <see cref="FleetMfaException"/> with code <c>validation</c> when <paramref name="value"/> is not a slug.</summary>
    public static string Require(string? value, string what) =>
        IsValid(value) ? value : throw FleetMfaException.Validation($"{what} must match [a-z0-9][a-z0-9._-]{{0,62}}.");
}
