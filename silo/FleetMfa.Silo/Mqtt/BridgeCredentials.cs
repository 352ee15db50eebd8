using System.Security.Cryptography;
using FleetMfa.Grains.Security;

namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// The silo bridge's identity on the broker. With the embedded broker the password is generated per process and never
/// leaves memory, unless configuration gives one (<c>FLEETMFA_BROKER_PASSWORD</c>: a tool that must publish as the
/// control plane, and the tests that play a leaked bridge password); with an external broker it comes from configuration.
/// Whoever holds it can write any device's <c>desired</c> topic, but not sign what agents would apply.
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
            Password = string.IsNullOrEmpty(options.BridgePassword) ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) : options.BridgePassword;
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
