namespace FleetMfa.Protocol;

/// <summary>Org, device and user ids on the wire: <c>[a-z0-9][a-z0-9._-]{0,62}</c>, checked without regex (AOT, hot path).</summary>
public static class Ids
{
    public const int MaxLength = 63;

    public static bool IsValid([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? value)
    {
        if (value is not { Length: > 0 and <= MaxLength } || !IsLowerAlnum(value[0]))
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!IsLowerAlnum(c) && c is not ('.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsLowerAlnum(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9');
}
