using FleetMfa.Grains;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>Short ways to set up what a test needs; every org gets a fresh id so tests never share state.</summary>
internal static class Fleet
{
    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public static async Task<string> NewOrgAsync(this IGrainFactory grains, bool totpEnabled = false)
    {
        var orgId = NewId("org");
        await grains.GetOrg(orgId).CreateOrUpdateAsync($"Org {orgId}");
        if (totpEnabled)
        {
            await grains.GetOrg(orgId).SetTotpEnabledAsync(true);
        }

        return orgId;
    }

    /// <summary>
    /// Switches org TOTP and waits until every device with MFA on acknowledged the new policy: the switch returns once
    /// the index shards stored it, and they hand it down to their devices in the background.
    /// </summary>
    public static async Task<OrgSettings> SwitchTotpAsync(this IGrainFactory grains, string orgId, bool enabled)
    {
        await grains.GetOrg(orgId).SetTotpEnabledAsync(enabled);
        return await Poll.UntilAsync(
            async () => (await grains.GetOrg(orgId).GetAsync())!,
            s => s.PolicyFanOut.Complete,
            $"every device with MFA on in {orgId} took the org switch");
    }

    public static Task<DeviceDetail> RegisterLinuxAsync(this IGrainFactory grains, string orgId, string deviceId) =>
        grains.GetDevice(orgId, deviceId).RegisterAsync(new DeviceRegistration($"{deviceId}.example", DeviceOs.Linux, "Debian 13", null));

    public static Task<DeviceDetail> RegisterAsync(this IGrainFactory grains, string orgId, string deviceId, DeviceOs os, string osVersion, DeviceFacts? facts = null) =>
        grains.GetDevice(orgId, deviceId).RegisterAsync(new DeviceRegistration($"{deviceId}.example", os, osVersion, facts));

    public static Task<UserInfo> NewUserAsync(this IGrainFactory grains, string orgId, string userId, string? username = null) =>
        grains.GetUser(orgId, userId).CreateOrUpdateAsync(new UserProfile(username ?? userId, $"{userId}@example.com"));

    /// <summary>The code an authenticator app shows for <paramref name="base32Secret"/> at <paramref name="at"/>.</summary>
    public static string AuthenticatorCode(string base32Secret, DateTimeOffset at) =>
        new OtpNet.Totp(OtpNet.Base32Encoding.ToBytes(base32Secret)).ComputeTotp(at.UtcDateTime);

    /// <summary>Creates the user, starts setup and confirms it with the current code; returns the base32 secret.</summary>
    public static async Task<string> EnrolledUserAsync(this IGrainFactory grains, string orgId, string userId, TimeProvider time)
    {
        await grains.NewUserAsync(orgId, userId);
        var enrollment = await grains.GetUser(orgId, userId).StartTotpEnrollmentAsync();
        await grains.GetUser(orgId, userId).ConfirmTotpAsync(AuthenticatorCode(enrollment.Secret, time.GetUtcNow()));
        return enrollment.Secret;
    }
}
