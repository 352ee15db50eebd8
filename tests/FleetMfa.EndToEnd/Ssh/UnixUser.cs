using System.Security.Cryptography;

namespace FleetMfa.EndToEnd.Ssh;

/// <summary>
/// A local account for SSH logins (<c>useradd -m</c>, a random password through <c>chpasswd</c>), with an ed25519 key
/// pair of its own in <c>~/.ssh/authorized_keys</c>; removed with its home (<c>userdel -r</c>) on dispose. Needs root.
/// </summary>
public sealed class UnixUser : IAsyncDisposable
{
    private readonly string _logDirectory;

    private UnixUser(string name, string password, string privateKeyPath, string logDirectory)
    {
        Name = name;
        Password = password;
        PrivateKeyPath = privateKeyPath;
        _logDirectory = logDirectory;
    }

    public string Name { get; }

    public string Password { get; }

    /// <summary>The OpenSSH private key (no passphrase) whose public half the account authorizes.</summary>
    public string PrivateKeyPath { get; }

    public static async Task<UnixUser> CreateAsync(string directory)
    {
        var name = $"fm{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5))}";
        var password = $"Pw-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}";
        await SystemCommand.RunAsync(directory, "useradd", ["--create-home", "--shell", "/bin/sh", name]);
        var user = new UnixUser(name, password, Path.Combine(directory, $"{name}_ed25519"), directory);
        try
        {
            await SystemCommand.RunAsync(directory, "chpasswd", [], $"{name}:{password}\n");
            await SystemCommand.RunAsync(directory, "ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", user.PrivateKeyPath]);
            var ssh = Path.Combine("/home", name, ".ssh");
            Directory.CreateDirectory(ssh);
            var authorizedKeys = Path.Combine(ssh, "authorized_keys");
            await File.WriteAllTextAsync(authorizedKeys, await File.ReadAllTextAsync($"{user.PrivateKeyPath}.pub"));
            await SystemCommand.RunAsync(directory, "chmod", ["700", ssh]);
            await SystemCommand.RunAsync(directory, "chmod", ["600", authorizedKeys]);
            await SystemCommand.RunAsync(directory, "chown", ["-R", $"{name}:{name}", ssh]);
            return user;
        }
        catch
        {
            await user.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync() => await SystemCommand.RunAsync(_logDirectory, "userdel", ["--remove", Name]);
}
