using FleetMfa.Grains.Diagnostics;
using FleetMfa.Grains.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FleetMfa.Grains;

public static class GrainServiceCollectionExtensions
{
    /// <summary>
    /// Services the grains need: the secret protector (configure <see cref="SecretProtectionOptions"/>), a clock and
    /// the metrics. The host also registers an <see cref="Audit.IAuditLog"/> and an <see cref="Devices.IDeviceIndexStore"/>
    /// (Azure Table storage in every real deployment).
    /// </summary>
    public static IServiceCollection AddFleetGrainServices(this IServiceCollection services)
    {
        services.AddOptions<SecretProtectionOptions>()
            .Validate(o => IsValidKey(o.MasterKey), "FleetMfa:SecretProtection:MasterKey must be a base64 256-bit key.")
            .ValidateOnStart();
        services.TryAddSingleton<ISecretProtector, AesGcmSecretProtector>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<FleetMetrics>();
        return services;
    }

    private static bool IsValidKey(string key)
    {
        try
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(AesGcmSecretProtector.DecodeKey(key));
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
