namespace FleetMfa.Agent.Store;

/// <summary>A user this device prompts. <see cref="Secret"/> is the raw TOTP key.</summary>
public sealed record LocalUser(string UserId, string LocalUsername, int SecretVersion, byte[] Secret)
{
    /// <summary>Keeps the secret out of any accidental print.</summary>
    public override string ToString() => $"LocalUser {{ UserId = {UserId}, LocalUsername = {LocalUsername}, SecretVersion = {SecretVersion} }}";
}
