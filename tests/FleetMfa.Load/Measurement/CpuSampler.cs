using System.Globalization;

namespace FleetMfa.Load.Measurement;

/// <summary>
/// CPU seconds (user + system) that named processes spent between <see cref="Start"/> and <see cref="Stop"/>, from
/// <c>/proc/PID/stat</c>: the first-order profile of where a benchmark's time goes (silo, storage, broker, agents).
/// </summary>
public sealed class CpuSampler
{
    private readonly IReadOnlyList<(string Name, int Pid)> _processes;
    private readonly Dictionary<string, double> _start = new(StringComparer.Ordinal);

    public CpuSampler(string? spec)
    {
        // "silo=123,azurite=456,mosquitto=789"; this process is always "load".
        var processes = new List<(string, int)> { ("load", Environment.ProcessId) };
        foreach (var part in (spec ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var pair = part.Split('=');
            if (pair.Length == 2 && int.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                processes.Add((pair[0], pid));
            }
        }

        _processes = processes;
    }

    public void Start()
    {
        foreach (var (name, pid) in _processes)
        {
            _start[name] = Seconds(pid);
        }
    }

    public void Stop(Figures figures)
    {
        ArgumentNullException.ThrowIfNull(figures);
        foreach (var (name, pid) in _processes)
        {
            figures.Add($"cpu_{name}_s", Seconds(pid) - _start[name], 1);
        }
    }

    /// <summary>utime + stime of the process and its reaped children, in seconds (clock ticks of 1/100 s).</summary>
    public static double Seconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // Fields after "(comm) " start at field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17.
            return Enumerable.Range(14, 4).Sum(f => double.Parse(fields[f - 3], CultureInfo.InvariantCulture)) / 100.0;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }
}
