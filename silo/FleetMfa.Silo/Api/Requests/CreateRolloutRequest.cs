using FleetMfa.Grains;

namespace FleetMfa.Silo.Api.Requests;

/// <summary>A bulk MFA change over explicit <see cref="DeviceIds"/> or the devices matching <see cref="Filter"/> (exactly one of the two).</summary>
public sealed record CreateRolloutRequest(
    RolloutAction Action,
    IReadOnlyList<string>? DeviceIds = null,
    RolloutFilterRequest? Filter = null,
    bool Force = false,
    int? MaxConcurrency = null,
    int? RatePerMinute = null,
    int? AbortThresholdPercent = null,
    int? AckTimeoutSeconds = null);
