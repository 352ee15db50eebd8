using System.Globalization;
using System.Text;

namespace FleetMfa.Load.Measurement;

/// <summary>A benchmark's result: figures in order, printed as the last stdout line <c>key=value …</c>.</summary>
public sealed class Figures
{
    private readonly List<(string Key, string Value)> _items = [];

    public Figures Add(string key, double value, int decimals = 1) =>
        Add(key, value.ToString($"F{decimals}", CultureInfo.InvariantCulture));

    public Figures Add(string key, long value) => Add(key, value.ToString(CultureInfo.InvariantCulture));

    public Figures Add(string key, string value)
    {
        _items.Add((key, value));
        return this;
    }

    public override string ToString()
    {
        var line = new StringBuilder();
        foreach (var (key, value) in _items)
        {
            line.Append(line.Length == 0 ? "" : " ").Append(key).Append('=').Append(value);
        }

        return line.ToString();
    }
}
