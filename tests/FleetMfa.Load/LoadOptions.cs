using System.Globalization;

namespace FleetMfa.Load;

/// <summary>The command line: <c>BENCHMARK --api URL [--agents URL] --admin-key-file FILE [--devices N] [--org ID] [--work DIR] ...</c>.</summary>
public sealed class LoadOptions
{
    private readonly Dictionary<string, string> _values;

    private LoadOptions(string command, Dictionary<string, string> values)
    {
        Command = command;
        _values = values;
    }

    public string Command { get; }

    public Uri Api => new(Required("api"));

    /// <summary>The silo's agent endpoint (<c>--agents</c>); default https on the API's host, port 5443.</summary>
    public Uri Agents => Optional("agents") is { } agents ? new Uri(agents) : new UriBuilder("https", Api.Host, 5443).Uri;

    public string AdminKey => File.ReadAllText(Required("admin-key-file")).Trim();

    public int Devices => Int("devices", 1000);

    public string Org => Optional("org") ?? $"load-{Command}";

    /// <summary>Where simulated agents keep their data directories: a tmpfs folder (default under <c>/dev/shm</c>).</summary>
    public string WorkDirectory => Optional("work") ?? Path.Combine("/dev/shm", $"fleetmfa-load-{Environment.ProcessId}");

    public int Concurrency => Int("concurrency", 64);

    /// <summary><c>devices</c> (one enable call per device) or <c>rollout</c> (one rollout for all).</summary>
    public string EnableMode => Optional("enable") ?? "rollout";

    public int MqttPort => Int("mqtt-port", 1883);

    public string? ObserverUsername => Optional("observer-user");

    public string? ObserverPassword => Optional("observer-password-file") is { } file ? File.ReadAllText(file).Trim() : null;

    /// <summary>The observer's client certificate and key (one PEM file) for a broker over TLS; null: a password on plain MQTT.</summary>
    public string? ObserverCertificateFile => Optional("observer-cert");

    public int SiloPid => Int("silo-pid", 0);

    public TimeSpan Timeout => TimeSpan.FromSeconds(Int("timeout", 600));

    public int Samples => Int("samples", 2000);

    /// <summary><c>key-flood</c>: how many requests with random keys.</summary>
    public int Requests => Int("requests", 10_000);

    public static LoadOptions Parse(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            throw new ArgumentException("the first argument is the benchmark");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected --name value, got '{args[i]}'");
            }

            values[args[i][2..]] = args[++i];
        }

        return new LoadOptions(args[0], values);
    }

    public string? Optional(string name) => _values.TryGetValue(name, out var value) ? value : null;

    private string Required(string name) => Optional(name) ?? throw new ArgumentException($"--{name} is required");

    private int Int(string name, int fallback) =>
        Optional(name) is { } text ? int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture) : fallback;
}
