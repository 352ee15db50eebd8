namespace FleetMfa.Protocol.Documents;

/// <summary>RFC 6238 parameters; <see cref="DriftSteps"/> is the accepted window on either side of now.</summary>
public sealed record TotpSettings(int Digits, int PeriodSeconds, string Algorithm, int DriftSteps);
