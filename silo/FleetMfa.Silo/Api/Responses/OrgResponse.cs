using FleetMfa.Grains;

namespace FleetMfa.Silo.Api.Responses;

public sealed record OrgResponse(
    string OrgId,
    string Name,
    TotpSettingsResponse Totp,
    int EnrollmentPeriodHours,
    DateTimeOffset CreatedAt,
    PolicyFanOut PolicyFanOut,
    MfaStatusCounts? Devices)
{
    public static OrgResponse From(OrgSettings settings, MfaStatusCounts? devices = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new(
            settings.OrgId,
            settings.Name,
            new TotpSettingsResponse(settings.TotpEnabled, settings.Totp.Digits, settings.Totp.PeriodSeconds, settings.Totp.Algorithm, settings.Totp.DriftSteps),
            (int)settings.EnrollmentPeriod.TotalHours,
            settings.CreatedAt,
            settings.PolicyFanOut,
            devices);
    }
}
