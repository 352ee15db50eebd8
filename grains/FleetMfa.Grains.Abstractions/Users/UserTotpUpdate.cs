namespace FleetMfa.Grains;

/// <summary>
/// What a user grain tells one bound device of its enrollment: the state, and — once setup is complete and the device
/// has a key — the secret sealed to that device's key (never the plaintext). <see cref="Revision"/> grows with every
/// change the user stores that a device must hear of (and with a device key it learns), so a device keeps the newest
/// update it was given and drops an older one that arrives later.
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.UserTotpUpdate")]
public sealed record UserTotpUpdate(
    [property: Id(0)] long Revision,
    [property: Id(1)] UserTotpState State,
    [property: Id(2)] SealedUserSecret? Secret);
