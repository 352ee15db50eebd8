using System.Security.Cryptography;
using FleetMfa.Agent.Platform;
using FleetMfa.Agent.Store;
using FleetMfa.Protocol;
using FleetMfa.Protocol.Documents;
using FleetMfa.Protocol.Sealing;

namespace FleetMfa.Agent.Daemon;

/// <summary>
/// Turns a desired-state document into the applied state: only a newer version, only one addressed to this device,
/// only when every sealed secret opens, the parameters are sane and the OS accepts its policy (<paramref name="platform"/>:
/// sshd/PAM, registry, authorization database) — otherwise the store does not change and the reason is reported. The
/// OS policy is applied before the store write (atomic), so the device never claims a version its OS does not enforce.
/// </summary>
public sealed class DesiredStateApplier(ISecretStore store, AgentConfig config, ECDiffieHellman identity, TimeProvider time, IPlatform? platform = null)
{
    public ApplyResult Apply(DesiredState desired)
    {
        ArgumentNullException.ThrowIfNull(desired);
        var current = store.Load();
        var currentVersion = current?.Version ?? 0;
        if (desired.Version <= currentVersion)
        {
            return new ApplyResult(current, false, null, null);
        }

        if (Problem(desired) is { } problem)
        {
            return new ApplyResult(current, false, desired.Version, problem);
        }

        var users = new List<LocalUser>(desired.Users.Count);
        foreach (var user in desired.Users)
        {
            try
            {
                var aad = SecretSealer.AssociatedData(config.OrgId, config.DeviceId, user.UserId, user.SecretVersion);
                users.Add(new LocalUser(user.UserId, user.LocalUsername, user.SecretVersion, SecretSealer.Unseal(identity, user.Secret, aad)));
            }
            catch (CryptographicException)
            {
                return new ApplyResult(current, false, desired.Version, $"the sealed secret of user '{user.UserId}' does not open with this device's key");
            }
        }

        if (platform is not null)
        {
            try
            {
                platform.ApplyPolicy(new PolicyRequest(desired.Version, desired.Mfa, desired.Policy, users.Select(u => u.LocalUsername).ToList()));
            }
            catch (Exception ex) when (ex is PolicyException or IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
            {
                // A PolicyException's message starts with its stable code where it has one (ssh-policy-not-effective: …).
                return new ApplyResult(current, false, desired.Version, ex is PolicyException ? ex.Message : $"the OS policy could not be applied: {ex.Message}");
            }
        }

        var applied = new AppliedState(desired.Version, desired.Mfa, desired.Totp, desired.Policy, users, time.GetUtcNow());
        store.Save(applied);
        return new ApplyResult(applied, true, null, null);
    }

    private string? Problem(DesiredState desired)
    {
        if (desired.Schema != DesiredState.CurrentSchema)
        {
            return $"unsupported desired-state schema {desired.Schema}";
        }

        if (desired.OrgId != config.OrgId || desired.DeviceId != config.DeviceId)
        {
            return "the desired state is addressed to another device";
        }

        var totp = desired.Totp;
        if (totp.Digits is < 6 or > 8 || totp.PeriodSeconds is < 10 or > 300 || totp.DriftSteps is < 0 or > 10 ||
            totp.Algorithm is not ("SHA1" or "SHA256" or "SHA512"))
        {
            return "unsupported TOTP parameters";
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var user in desired.Users)
        {
            if (!Ids.IsValid(user.UserId) || user.LocalUsername is not { Length: > 0 and <= 64 } || !names.Add(user.LocalUsername))
            {
                return "the user list is not valid";
            }
        }

        return null;
    }
}
