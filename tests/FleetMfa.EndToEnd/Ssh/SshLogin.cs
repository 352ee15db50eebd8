using Renci.SshNet;
using Renci.SshNet.Common;

namespace FleetMfa.EndToEnd.Ssh;

/// <summary>
/// A real SSH client (SSH.NET) against the private sshd: offers the public key when it has one and keyboard-interactive,
/// answers "Password:" with the password and "Verification code:" with the code, records every prompt, pins the host
/// key, and on success runs <c>id -un</c> to prove the session is the user's.
/// </summary>
public static class SshLogin
{
    public static async Task<SshLoginResult> TryAsync(PrivateSshd sshd, SshCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(sshd);
        ArgumentNullException.ThrowIfNull(credentials);
        var prompts = new List<string>();
        var keyboard = new KeyboardInteractiveAuthenticationMethod(credentials.User);
        keyboard.AuthenticationPrompt += (_, e) =>
        {
            foreach (var prompt in e.Prompts)
            {
                lock (prompts)
                {
                    prompts.Add(prompt.Request);
                }

                prompt.Response = prompt.Request.Contains("Verification code", StringComparison.Ordinal) ? credentials.Code ?? "" : credentials.Password ?? "";
            }
        };
        var methods = new List<AuthenticationMethod>();
        PrivateKeyFile? key = null;
        if (credentials.PrivateKeyPath is { } keyPath)
        {
            key = new PrivateKeyFile(keyPath);
            methods.Add(new PrivateKeyAuthenticationMethod(credentials.User, key));
        }

        if (credentials.Password is { } password)
        {
            methods.Add(new PasswordAuthenticationMethod(credentials.User, password));
        }

        methods.Add(keyboard);
        var info = new ConnectionInfo("127.0.0.1", sshd.Port, credentials.User, [.. methods]) { Timeout = TimeSpan.FromSeconds(30) };
        using var client = new SshClient(info);
        client.HostKeyReceived += (_, e) => e.CanTrust = Convert.ToBase64String(e.HostKey) == sshd.HostKeyBase64;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await client.ConnectAsync(timeout.Token);
            using var command = client.RunCommand("id -un");
            var loggedIn = command.ExitStatus == 0 && command.Result.Trim() == credentials.ExpectedAccount;
            client.Disconnect();
            return new SshLoginResult(loggedIn, Snapshot(), loggedIn ? null : $"id -un: exit {command.ExitStatus}, '{command.Result.Trim()}' {command.Error}");
        }
        catch (SshAuthenticationException ex)
        {
            return new SshLoginResult(false, Snapshot(), ex.Message);
        }
        finally
        {
            key?.Dispose();
            foreach (var method in methods.OfType<IDisposable>())
            {
                method.Dispose();
            }
        }

        List<string> Snapshot()
        {
            lock (prompts)
            {
                return [.. prompts];
            }
        }
    }
}
