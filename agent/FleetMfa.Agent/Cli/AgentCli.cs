using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using FleetMfa.Agent.Daemon;
using FleetMfa.Agent.Enrollment;
using FleetMfa.Agent.Platform;
using FleetMfa.Agent.Store;
using FleetMfa.Agent.Verification;

namespace FleetMfa.Agent.Cli;

/// <summary>The commands of DESIGN §5 (and <c>restore</c>, for uninstall) and their exit codes.</summary>
public static class AgentCli
{
    public const string Usage = """
        usage: fleetmfa-agent enroll --server https://HOST:PORT --connect-key KEY [--force] [--insecure] [--data-dir DIR]
               fleetmfa-agent run [--data-dir DIR]
               fleetmfa-agent verify --user NAME [--uid UID] [--data-dir DIR]     (reads the code from stdin)
               fleetmfa-agent verify --user NAME [--uid UID] --check-required [--data-dir DIR]   (exit 4: a code is required, 0: not)
               fleetmfa-agent status [--data-dir DIR]
               fleetmfa-agent restore [--data-dir DIR]     (puts back every OS file the agent changed; the daemon must be stopped)
        --force: enroll a device that is already enrolled: its OS files are restored and its store starts empty
        --insecure: development only: allow an http:// server, or a connect key without a CA fingerprint
        --uid: the login's uid as the system resolves NAME (decimal, 0-4294967294); a bound user whose local
               username resolves to the same uid is this login
        exit codes: 0 ok / accepted / not required, 1 rejected, 2 usage or store error, 3 locked out, 4 code required,
                    5 (run) decommissioned: OS files restored, store deleted, daemon stopped for good
        """;

    private static readonly HashSet<string> Options = ["data-dir", "server", "connect-key", "user", "uid"];
    private static readonly HashSet<string> Flags = ["check-required", "force", "insecure"];

    public static async Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stdin);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        try
        {
            var line = CommandLine.Parse(args, Options, Flags);
            var store = new AgentStore(line.Optional("data-dir") ?? Environment.GetEnvironmentVariable("FLEETMFA_AGENT_DATA") ?? AgentStore.DefaultDataDirectory);
            return line.Command switch
            {
                "enroll" => await EnrollAsync(line, store, stdout, stderr, time, cancellationToken),
                "run" => await RunDaemonAsync(store, stdout, time, cancellationToken),
                "verify" => Verify(line, store, stdin, time),
                "status" => Status(store, stdout),
                "restore" => Restore(store, stdout),
                _ => throw new UsageException($"unknown command '{line.Command}'"),
            };
        }
        catch (UsageException ex)
        {
            await stderr.WriteLineAsync($"fleetmfa-agent: {ex.Message}\n{Usage}");
            return ExitCodes.UsageOrStoreError;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or JsonException or InvalidOperationException or EnrollmentException or HttpRequestException or PolicyException)
        {
            await stderr.WriteLineAsync($"fleetmfa-agent: {ex.Message}");
            return ExitCodes.UsageOrStoreError;
        }
    }

    private static async Task<int> EnrollAsync(CommandLine line, AgentStore store, TextWriter stdout, TextWriter stderr, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(line.Required("server"), UriKind.Absolute, out var server) || server.Scheme is not ("http" or "https"))
        {
            throw new UsageException("--server must be an https:// URL (http:// only with --insecure)");
        }

        var connectKey = line.Optional("connect-key") ?? Environment.GetEnvironmentVariable("FLEETMFA_CONNECT_KEY")
            ?? throw new UsageException("--connect-key (or FLEETMFA_CONNECT_KEY) is required");
        var insecure = line.Flag("insecure");

        // Refused (http:// without --insecure, a key without its CA pin) before anything is touched or sent.
        Enroller.Check(server, connectKey, insecure);
        if (insecure)
        {
            await stderr.WriteLineAsync("fleetmfa-agent: warning: --insecure is for development only: plain http:// and connect keys without a CA fingerprint are accepted, so the server is not authenticated");
        }
        if (store.IsEnrolled && store.LoadConfig() is { } enrolled)
        {
            // An old store's applied version would be ahead of the new device's and wedge it; its secrets are the old device's.
            if (!line.Flag("force"))
            {
                throw new InvalidOperationException(
                    $"already enrolled as {enrolled.OrgId}/{enrolled.DeviceId} in {store.DataDirectory}; 'enroll --force' restores the OS files and starts over with a new identity and an empty store");
            }

            using var stopped = DaemonLock.TryAcquire(store.DataDirectory)
                ?? throw new InvalidOperationException($"'fleetmfa-agent run' is running on {store.DataDirectory}; stop it first");
            Report(Platforms.Current(store.DataDirectory).RestorePolicy(), stdout);
            var dropped = store.DeleteEverything();
            await stdout.WriteLineAsync($"started over: the store of {enrolled.OrgId}/{enrolled.DeviceId} is deleted ({dropped} audit events it had not uploaded went with it)");
        }

        var config = await new Enroller(store, Platforms.Current(store.DataDirectory), time).EnrollAsync(server, connectKey, insecure, cancellationToken);
        await stdout.WriteLineAsync($"enrolled as {config.OrgId}/{config.DeviceId}; start the daemon with: fleetmfa-agent run --data-dir {store.DataDirectory}");
        return ExitCodes.Ok;
    }

    private static async Task<int> RunDaemonAsync(AgentStore store, TextWriter stdout, TimeProvider time, CancellationToken cancellationToken)
    {
        var config = store.LoadConfig() ?? throw new InvalidOperationException($"not enrolled: run 'fleetmfa-agent enroll' first (data dir {store.DataDirectory})");
        using var running = DaemonLock.TryAcquire(store.DataDirectory)
            ?? throw new InvalidOperationException($"another 'fleetmfa-agent run' is already running on {store.DataDirectory} (it holds {DaemonLock.FileName}); stop it first");
        await using var daemon = new AgentDaemon(store, config, Platforms.Current(store.DataDirectory), time, stdout, AgentDaemonOptions.FromEnvironment());
        await daemon.RunAsync(cancellationToken);
        return daemon.Decommissioned ? ExitCodes.Decommissioned : ExitCodes.Ok;
    }

    private static int Verify(CommandLine line, AgentStore store, TextReader stdin, TimeProvider time)
    {
        var user = line.Required("user");
        if (user.Length is 0 or > VerifyWire.MaxUserChars)
        {
            throw new UsageException("--user must be 1–64 characters");
        }

        var uid = ParseUid(line.Optional("uid"));
        if (!store.IsEnrolled)
        {
            throw new InvalidOperationException($"no agent store at {store.DataDirectory}");
        }

        if (line.Flag("check-required"))
        {
            // For the PAM module / credential provider: prompt only users the device holds a secret for while MFA is
            // on. No applied state is a store error (exit 2), never "not required".
            return Verifier(store, time).IsRequired(user, uid) ? ExitCodes.CodeRequired : ExitCodes.Ok;
        }

        var code = ReadCode(stdin);

        // The running daemon decides from its decrypted state (no key, no crypto here); else decide from the store.
        var outcome = VerifyClient.TryVerify(store.DataDirectory, user, uid, code, VerifyClient.DefaultTimeout)
            ?? Verifier(store, time).Verify(user, uid, code);
        return outcome switch
        {
            VerifyOutcome.Accepted or VerifyOutcome.NotRequired => ExitCodes.Ok,
            VerifyOutcome.LockedOut => ExitCodes.LockedOut,
            _ => ExitCodes.Rejected,
        };
    }

    private static CodeVerifier Verifier(AgentStore store, TimeProvider time)
    {
        var config = store.LoadConfig() ?? throw new InvalidOperationException($"no agent configuration in {store.DataDirectory}");
        return new CodeVerifier(store, store, config.Verification, time);
    }

    /// <summary><c>--uid</c>: plain decimal digits, 0 to 4294967294 (<c>(uid_t)-1</c> is no user).</summary>
    private static uint? ParseUid(string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length is 0 or > 10 || !value.All(char.IsAsciiDigit) ||
            !uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var uid) || uid > VerifyWire.MaxUid)
        {
            throw new UsageException("--uid must be a decimal uid from 0 to 4294967294");
        }

        return uid;
    }

    /// <summary>One line, at most a few characters: anything longer is not a code and is not read further.</summary>
    private static string ReadCode(TextReader stdin)
    {
        var buffer = new char[16];
        var length = 0;
        int c;
        while ((c = stdin.Read()) is not (-1 or '\n'))
        {
            if (length == buffer.Length)
            {
                return "";
            }

            buffer[length++] = (char)c;
        }

        return new string(buffer, 0, length).Trim();
    }

    /// <summary>
    /// Uninstall (the package's prerm runs it): every OS file the agent changed goes back byte for byte from its backup
    /// and sshd is reloaded. Needs no enrollment (a purged store keeps its backups); refuses while the daemon runs, which
    /// would put its policy straight back.
    /// </summary>
    private static int Restore(AgentStore store, TextWriter stdout)
    {
        if (!Directory.Exists(store.DataDirectory))
        {
            stdout.WriteLine($"nothing to restore: {store.DataDirectory} does not exist");
            return ExitCodes.Ok;
        }

        using var stopped = DaemonLock.TryAcquire(store.DataDirectory)
            ?? throw new InvalidOperationException($"'fleetmfa-agent run' is running on {store.DataDirectory}; stop it first (it would put the policy back)");
        Report(Platforms.Current(store.DataDirectory).RestorePolicy(), stdout);
        return ExitCodes.Ok;
    }

    private static void Report(PolicyResult result, TextWriter stdout)
    {
        foreach (var change in result.Changes)
        {
            stdout.WriteLine(change);
        }

        stdout.WriteLine(result.Changed ? $"restored: {result.Changes.Count} changes" : "nothing to restore: no OS file is changed");
    }

    private static int Status(AgentStore store, TextWriter stdout)
    {
        var config = store.LoadConfig();
        var state = config is null ? null : store.Load();
        var report = new StatusReport(
            config is not null,
            config?.OrgId,
            config?.DeviceId,
            state?.Version ?? 0,
            state?.Mfa ?? false,
            state?.Users.Select(u => new StatusUser(u.UserId, u.LocalUsername, u.SecretVersion)).ToList() ?? [],
            config is not null && state is null ? "state.bin is missing: verify exits 2 (store error) until a desired state is applied" : null);
        stdout.WriteLine(JsonSerializer.Serialize(report, AgentJsonContext.Default.StatusReport));
        return ExitCodes.Ok;
    }
}
