using FleetMfa.Grains.Security;

namespace FleetMfa.Silo.Hosting;

public static class KeyHostingExtensions
{
    /// <summary>
    /// Resolves the admin key and the secret-protection master key: configuration/environment first, else generated
    /// once into the data directory. Neither is ever logged.
    /// </summary>
    public static WebApplicationBuilder AddFleetKeys(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(FleetMfaOptions.SectionName).Get<FleetMfaOptions>() ?? new FleetMfaOptions();
        var dataDirectory = KeyFiles.EnsureDataDirectory(options.DataDirectory);

        var adminKey = string.IsNullOrWhiteSpace(options.AdminKey)
            ? KeyFiles.ReadOrCreate(dataDirectory, KeyFiles.AdminKeyFile, ApiKeys.NewAdminKey)
            : options.AdminKey.Trim();
        builder.Services.AddSingleton(new AdminKey(adminKey));

        // A short admin key can be guessed: refuse to start with one (exit 2, like every configuration error).
        builder.Services.AddOptions<FleetMfaOptions>()
            .Validate(_ => adminKey.Length >= AdminKey.MinLength, $"The admin key (FLEETMFA_ADMIN_KEY or {KeyFiles.AdminKeyFile} in the data directory) must be at least {AdminKey.MinLength} characters; `openssl rand -hex 32` makes one.")
            .ValidateOnStart();

        var masterKeyKey = $"{SecretProtectionOptions.SectionName}:{nameof(SecretProtectionOptions.MasterKey)}";
        if (string.IsNullOrWhiteSpace(builder.Configuration[masterKeyKey]))
        {
            var masterKey = KeyFiles.ReadOrCreate(dataDirectory, KeyFiles.MasterKeyFile, AesGcmSecretProtector.NewKey);
            builder.Services.Configure<SecretProtectionOptions>(o => o.MasterKey = masterKey);
        }
        else
        {
            builder.Services.Configure<SecretProtectionOptions>(builder.Configuration.GetSection(SecretProtectionOptions.SectionName));
        }

        return builder;
    }
}
