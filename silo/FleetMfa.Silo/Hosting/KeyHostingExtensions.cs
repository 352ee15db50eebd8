using FleetMfa.Grains.Security;
using FleetMfa.Protocol.Signing;

namespace FleetMfa.Silo.Hosting;

public static class KeyHostingExtensions
{
    /// <summary>
    /// Resolves the admin key, the secret-protection master key and the desired-state signing key: configuration/
    /// environment first, else generated once into the data directory. None is ever logged; the signing key's private
    /// half stays in the <see cref="DesiredStateSigner"/>.
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

        var signingKeyKey = $"{DesiredStateSigningOptions.SectionName}:{nameof(DesiredStateSigningOptions.PrivateKey)}";
        var signing = builder.Services.AddOptions<DesiredStateSigningOptions>().BindConfiguration(DesiredStateSigningOptions.SectionName);
        if (string.IsNullOrWhiteSpace(builder.Configuration[signingKeyKey]))
        {
            var signingKey = KeyFiles.ReadOrCreate(dataDirectory, KeyFiles.SigningKeyFile, DesiredStateSigner.NewPrivateKey);
            signing.Configure(o => o.PrivateKey = signingKey);
        }

        signing
            .Validate(o => DesiredStateSigner.IsValidPrivateKey(o.PrivateKey), $"FLEETMFA_SIGNING_KEY (or {KeyFiles.SigningKeyFile} in the data directory) must be a P-256 private key, PKCS#8 in base64.")
            .Validate(
                o => string.IsNullOrWhiteSpace(o.PreviousPrivateKey) ||
                    (DesiredStateSigner.IsValidPrivateKey(o.PreviousPrivateKey) && o.PreviousPrivateKey.Trim() != o.PrivateKey.Trim()),
                "FLEETMFA_SIGNING_KEY_PREVIOUS must be a P-256 private key, PKCS#8 in base64, other than the signing key.")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<DesiredStateSigningOptions>>().Value;
            return DesiredStateSigner.FromPrivateKey(o.PrivateKey, o.PreviousPrivateKey);
        });
        return builder;
    }
}
