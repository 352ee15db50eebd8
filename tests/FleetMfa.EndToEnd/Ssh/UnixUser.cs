using System.Security.Cryptography;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd.Ssh;

/// <summary>
/// A local account for SSH logins (<c>useradd -m</c>, a random password through <c>chpasswd</c>), with an ed25519 key
/// pair of its own in <c>~/.ssh/authorized_keys</c>; removed with its home (<c>userdel -r</c>) on dispose, once the
/// account's last SSH session has ended (sshd's session processes can outlive the client by a moment). Needs root.
/// </summary>
public sealed class UnixUser : IAsyncDisposable
{
    /// <summary><c>userdel</c>'s exit code when a process still runs as the user.</summary>
    private const int UserBusy = 8;
    private static readonly TimeSpan SessionsEndDeadline = TimeSpan.FromSeconds(30);

    private readonly string _logDirectory;
    private readonly List<string> _aliases = [];

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

    /// <summary>
    /// A second name for this account (same uid and home, <c>useradd -o</c>), as NSS gives one for a directory user's
    /// other spellings: it logs in with the same key and password. Removed with the account.
    /// </summary>
    public async Task<string> AddAliasAsync()
    {
        var alias = $"fa{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5))}";
        var ids = await SystemCommand.RunAsync(_logDirectory, "id", [Name]);
        var uid = ids.Split(' ')[0].Split('=')[1].Split('(')[0];
        var gid = ids.Split(' ')[1].Split('=')[1].Split('(')[0];
        await SystemCommand.RunAsync(_logDirectory, "useradd", ["--non-unique", "--uid", uid, "--gid", gid, "--no-create-home", "--home-dir", $"/home/{Name}", "--shell", "/bin/sh", alias]);
        _aliases.Add(alias);
        await SystemCommand.RunAsync(_logDirectory, "chpasswd", [], $"{alias}:{Password}\n");
        return alias;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var alias in _aliases)
        {
            await DeleteAsync(alias, removeHome: false);
        }

        await DeleteAsync(Name, removeHome: true);
    }

    /// <summary><c>userdel</c>, tried again while a session process of the user is still exiting (bounded).</summary>
    private async Task DeleteAsync(string name, bool removeHome)
    {
        var until = DateTimeOffset.UtcNow + SessionsEndDeadline;
        while (true)
        {
            var log = Path.Combine(_logDirectory, $"userdel-{name}-{Guid.NewGuid().ToString("N")[..6]}.log");
            await using var userdel = ChildProcess.Start("userdel", removeHome ? ["--remove", name] : [name], _logDirectory, new Dictionary<string, string>(), log);
            var exit = await userdel.WaitForExitAsync(TimeSpan.FromMinutes(1));
            if (exit == 0)
            {
                return;
            }

            Assert.True(exit == UserBusy && DateTimeOffset.UtcNow < until, $"userdel {name} exited with {exit}:\n{userdel.Tail()}");
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }
}
