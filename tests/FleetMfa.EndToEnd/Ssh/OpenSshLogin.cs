using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd.Ssh;

/// <summary>
/// The real OpenSSH client (Debian's <c>ssh</c>), driven through its prompts by <c>expect</c> (Debian's <c>expect</c>),
/// against the private sshd: offers the key when it has one, keyboard-interactive and the password method, answers
/// "Password:" with the password and "Verification code:" with the code, pins the host key, and on success runs
/// <c>id -un</c>. The same contract as <see cref="SshLogin"/> (SSH.NET), from a second, independent client.
/// </summary>
public static class OpenSshLogin
{
    private const string Script = """
        set timeout 30
        log_user 1
        spawn -noecho ssh {*}$argv
        expect {
          -re {[Vv]erification code: ?$} { puts "\n@@PROMPT Verification code"; send -- "$env(FM_CODE)\r"; exp_continue }
          -re {[Pp]assword: ?$} { puts "\n@@PROMPT Password"; send -- "$env(FM_PASSWORD)\r"; exp_continue }
          eof
        }
        set status [wait]
        puts "\n@@EXIT [lindex $status 3]"
        """;

    public static async Task<SshLoginResult> TryAsync(PrivateSshd sshd, SshCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(sshd);
        ArgumentNullException.ThrowIfNull(credentials);
        var script = Path.Combine(sshd.Directory, "openssh-login.exp");
        if (!File.Exists(script))
        {
            await File.WriteAllTextAsync(script, Script);
        }

        List<string> arguments =
        [
            script, "-F", "/dev/null", "-o", $"UserKnownHostsFile={sshd.KnownHostsFile}", "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes", "-o", "NumberOfPasswordPrompts=1", "-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR",
            "-o", "PreferredAuthentications=publickey,keyboard-interactive,password", "-o", "IdentitiesOnly=yes",
        ];
        arguments.AddRange(credentials.PrivateKeyPath is { } key ? ["-i", key] : ["-o", "PubkeyAuthentication=no"]);
        arguments.AddRange(["-p", $"{sshd.Port}", $"{credentials.User}@127.0.0.1", "id", "-un"]);
        var environment = new Dictionary<string, string>
        {
            ["FM_PASSWORD"] = credentials.Password ?? "",
            ["FM_CODE"] = credentials.Code ?? "",
        };
        var log = Path.Combine(sshd.Directory, $"openssh-{Guid.NewGuid().ToString("N")[..8]}.log");
        await using var expect = ChildProcess.Start("expect", arguments, sshd.Directory, environment, log);
        Assert.Equal(0, await expect.WaitForExitAsync(TimeSpan.FromSeconds(90)));
        var lines = expect.Output.Split('\n').Select(l => l.Trim('\r', ' ')).ToList();
        var prompts = lines.Where(l => l.StartsWith("@@PROMPT ", StringComparison.Ordinal)).Select(l => l["@@PROMPT ".Length..]).ToList();
        var exit = lines.LastOrDefault(l => l.StartsWith("@@EXIT ", StringComparison.Ordinal));
        var loggedIn = exit == "@@EXIT 0" && lines.Contains(credentials.ExpectedAccount);
        return new SshLoginResult(loggedIn, prompts, loggedIn ? null : string.Join(" / ", lines.Where(l => l.Length > 0 && !l.StartsWith("@@PROMPT", StringComparison.Ordinal)).TakeLast(3)));
    }
}
