using System.Text.Json;
using FleetMfa.Grains;

namespace FleetMfa.Silo.Api;

/// <summary>Enum values as they appear on the wire (kebab-case: <c>macos</c>, <c>pending-setup</c>); numbers are never accepted.</summary>
public static class ApiEnums
{
    public static string Name<TEnum>(TEnum value)
        where TEnum : struct, Enum => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());

    /// <summary>Parses an optional query value; throws <c>validation</c> naming the allowed values.</summary>
    public static TEnum? ParseOptional<TEnum>(string? value, string parameter)
        where TEnum : struct, Enum
    {
        if (value is null)
        {
            return null;
        }

        foreach (var candidate in Enum.GetValues<TEnum>())
        {
            if (Name(candidate) == value)
            {
                return candidate;
            }
        }

        throw FleetMfaException.Validation($"{parameter} must be one of: {string.Join(", ", Enum.GetValues<TEnum>().Select(Name))}.");
    }
}
