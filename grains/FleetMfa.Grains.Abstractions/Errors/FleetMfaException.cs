namespace FleetMfa.Grains;

/// <summary>
/// A refusal with a stable <see cref="Code"/> (see <see cref="ErrorCodes"/>). Grains throw it before changing any
/// state, so a refused operation never half-applies; the admin API turns it into a problem response.
/// </summary>
[GenerateSerializer, Alias("fleetmfa.FleetMfaException")]
public sealed class FleetMfaException : Exception
{
    public FleetMfaException()
    {
        Code = ErrorCodes.Internal;
    }

    public FleetMfaException(string message)
        : base(message)
    {
        Code = ErrorCodes.Internal;
    }

    public FleetMfaException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = ErrorCodes.Internal;
    }

    public FleetMfaException(string code, string message)
        : base(message)
    {
        Code = code;
    }

    [Id(0)]
    public string Code { get; init; }

    public static FleetMfaException Validation(string message) => new(ErrorCodes.Validation, message);

    public static FleetMfaException NotFound(string message) => new(ErrorCodes.NotFound, message);
}
