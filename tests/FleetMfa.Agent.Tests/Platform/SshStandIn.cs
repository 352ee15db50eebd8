using System.Diagnostics;
using System.Runtime.Versioning;
using FleetMfa.Agent.Platform.Linux;
using FleetMfa.Agent.Tests.Infrastructure;

namespace FleetMfa.Agent.Tests.Platform;

/// <summary>
/// A machine laid out like <c>/etc/ssh</c> and <c>/etc/pam.d</c> in a temp directory, with shell stand-ins for
/// <c>sshd</c> and <c>ssh</c> whose answers the test controls: <c>sshd -t</c> refuses when told to; <c>sshd -T</c>
/// prints the settings a real sshd would take (a user's Match override first, then the drop-in unless sshd is told to
/// ignore it, then the machine's defaults — first value wins); <c>ssh</c> prints the methods a "running sshd" offers,
/// which the test sets; a running "sshd" is a process that ignores SIGHUP and counts nothing. The real-sshd tests are in
/// tests/FleetMfa.EndToEnd/Ssh.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class SshStandIn : IDisposable
{
    private const string Defaults = """
        usepam yes
        kbdinteractiveauthentication no
        passwordauthentication yes
        pubkeyauthentication yes
        authenticationmethods any
        listenaddress 127.0.0.1:2222

        """;

    private readonly TempDirectory _root = new();
    private Process? _running;

    public SshStandIn()
    {
        Directory.CreateDirectory(_root.Combine("sshd_config.d"));
        Directory.CreateDirectory(_root.Combine("pam.d"));
        File.WriteAllText(_root.Combine("pam.d/sshd"), SshPolicyRendererTests.DebianPam);
        File.WriteAllBytes(_root.Combine("pam_fleetmfa.so"), [0x7f, (byte)'E', (byte)'L', (byte)'F']);
        File.WriteAllText(_root.Combine("sshd_config"), $"Include {_root.Combine("sshd_config.d")}/*.conf\n");
        Script("sshd", $$"""
            #!/bin/sh
            root='{{_root.Path}}'
            case "$1" in
            -t) if [ -f "$root/reject" ]; then cat "$root/reject" >&2; exit 255; fi; exit 0 ;;
            -T) user=$(printf '%s' "$5" | sed 's/^user=\([^,]*\),.*/\1/')
                [ -f "$root/match-$user" ] && cat "$root/match-$user"
                if [ ! -f "$root/ignore-drop-in" ] && [ -f "$root/sshd_config.d/00-fleetmfa.conf" ]; then
                    grep -v '^#' "$root/sshd_config.d/00-fleetmfa.conf" | grep . | awk '{ $1 = tolower($1); print }'
                fi
                cat "$root/defaults"
                exit 0 ;;
            esac
            exit 1
            """);
        File.WriteAllText(_root.Combine("defaults"), Defaults);
        Script("ssh", $$"""
            #!/bin/sh
            echo "fleetmfa-probe@127.0.0.1: Permission denied ($(cat '{{_root.Path}}/offered'))." >&2
            exit 255
            """);
        Offer("publickey,password");
        Options = new SshPolicyOptions
        {
            SshdConfigDirectory = _root.Combine("sshd_config.d"),
            SshdConfigFile = _root.Combine("sshd_config"),
            SshdBinary = _root.Combine("sshd"),
            SshClientBinary = _root.Combine("ssh"),
            SshdPidFile = _root.Combine("sshd.pid"),
            PamServiceFile = _root.Combine("pam.d/sshd"),
            PamModule = _root.Combine("pam_fleetmfa.so"),
            AgentExecutable = "/usr/bin/fleetmfa-agent",
            DataDirectory = _root.Combine("agent"),
            ReloadTimeout = TimeSpan.FromSeconds(1),
        };
    }

    public SshPolicyOptions Options { get; }

    /// <summary>The environment that points an agent process at this machine (what <see cref="SshPolicyOptions.FromEnvironment"/> reads).</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["FLEETMFA_SSHD_CONFIG_DIR"] = Options.SshdConfigDirectory,
        ["FLEETMFA_SSHD_CONFIG"] = Options.SshdConfigFile,
        ["FLEETMFA_SSHD_BINARY"] = Options.SshdBinary,
        ["FLEETMFA_SSH_CLIENT"] = Options.SshClientBinary,
        ["FLEETMFA_SSHD_PID_FILE"] = Options.SshdPidFile,
        ["FLEETMFA_PAM_SERVICE_FILE"] = Options.PamServiceFile,
        ["FLEETMFA_PAM_MODULE"] = Options.PamModule,
        ["FLEETMFA_AGENT_EXECUTABLE"] = Options.AgentExecutable,
    };

    public string DropIn => Options.DropInPath;

    public string PamFile => Options.PamServiceFile;

    public string Pam => File.ReadAllText(Options.PamServiceFile);

    public string Combine(string name) => _root.Combine(name);

    /// <summary>What the running sshd offers a new connection (<c>publickey</c>, <c>keyboard-interactive</c>, ...).</summary>
    public void Offer(string methods) => File.WriteAllText(_root.Combine("offered"), methods);

    /// <summary>sshd -t refuses with this message.</summary>
    public void RejectConfig(string message) => File.WriteAllText(_root.Combine("reject"), message);

    /// <summary>sshd reads the drop-in no more (sshd_config lost its Include).</summary>
    public void IgnoreDropIn() => File.WriteAllText(_root.Combine("ignore-drop-in"), "");

    /// <summary>A <c>Match User</c> block sets these lines for <paramref name="user"/>.</summary>
    public void MatchUser(string user, string lines) => File.WriteAllText(_root.Combine($"match-{user}"), lines);

    /// <summary>An "sshd" runs (a process that ignores SIGHUP), named in the pid file.</summary>
    public void Run()
    {
        _running = Process.Start(new ProcessStartInfo("env", ["--ignore-signal=HUP", "sleep", "300"]) { UseShellExecute = false })!;
        File.WriteAllText(Options.SshdPidFile, $"{_running.Id}\n");
    }

    /// <summary>
    /// Makes the next atomic write of <paramref name="path"/> fail for root too: a directory stands where the agent
    /// creates its temp file (<see cref="FleetMfa.Agent.Platform.ManagedFiles.Replace"/>).
    /// </summary>
    public static void FailWritesOf(string path) =>
        Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.fleetmfa.{System.Environment.ProcessId}.tmp"));

    public void Dispose()
    {
        if (_running is { HasExited: false })
        {
            _running.Kill();
        }

        _running?.Dispose();
        _root.Dispose();
    }

    private void Script(string name, string text)
    {
        File.WriteAllText(_root.Combine(name), text.Replace("\r", "", StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(_root.Combine(name), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
