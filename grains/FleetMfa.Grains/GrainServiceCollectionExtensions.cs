using FleetMfa.Grains.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FleetMfa.Grains;

public static class GrainServiceCollectionExtensions
{
    /// <summary>Services the grains need: the secret protector (configure <see cref="SecretProtectionOptions"/>) and a clock.</summary>
    public static IServiceCollection AddFleetGrainServices(this IServiceCollection services)
    {
        services.AddOptions<SecretProtectionOptions>()
            .Validate(o => IsValidKey(o.MasterKey), "FleetMfa:SecretProtection:MasterKey must be a base64 256-bit key.")
            .ValidateOnStart();
        services.TryAddSingleton<ISecretProtector, AesGcmSecretProtector>();
        services.TryAddSingleton(TimeProvider.System);
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
