using System.Security.Cryptography;
using FleetMfa.Grains.Security;

namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// The silo bridge's identity on the broker. With the embedded broker it is generated per process and never leaves
/// memory; with an external broker it comes from configuration.
/// </summary>
public sealed class BridgeCredentials
{
    public const string EmbeddedUsername = "$fleetmfa-bridge";

    public BridgeCredentials(MqttOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.IsEmbedded)
        {
            Username = EmbeddedUsername;
            Password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        }
        else
        {
            Username = options.BridgeUsername ?? "";
            Password = options.BridgePassword ?? "";
        }
    }

    public string Username { get; }

    public string Password { get; }

    public bool Matches(string? username, string? password) =>
        username == Username && password is not null && ApiKeys.HashesEqual(ApiKeys.Hash(password), ApiKeys.Hash(Password));
}
