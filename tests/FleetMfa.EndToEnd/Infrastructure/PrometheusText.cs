using System.Globalization;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>A scraped Prometheus text exposition, read just enough to find series and sum their values.</summary>
public sealed class PrometheusText(string text)
{
    public string Text { get; } = text;

    /// <summary>The sample lines of metric <paramref name="name"/> (exactly that name) whose labels include every one of <paramref name="labels"/> (<c>key="value"</c>).</summary>
    public IReadOnlyList<double> Values(string name, params string[] labels) =>
        [.. Text.Split('\n')
            .Where(line => line.Length > 0 && line[0] != '#')
            .Where(line => line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is '{' or ' ')
            .Where(line => labels.All(label => line.Contains(label, StringComparison.Ordinal)))
            .Select(line => double.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture))];

    /// <summary>The sum over the matching series; 0 when there are none.</summary>
    public double Sum(string name, params string[] labels) => Values(name, labels).Sum();

    public bool Has(string name) => Values(name).Count > 0;

    /// <summary>Scrapes <c>/metrics</c> with <paramref name="admin"/> (the admin key), asserting it answers 200.</summary>
    public static async Task<PrometheusText> ScrapeAsync(ApiClient admin)
    {
        ArgumentNullException.ThrowIfNull(admin);
        var response = await admin.GetAsync("/metrics");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.Status);
        return new PrometheusText(response.Body);
    }
}
