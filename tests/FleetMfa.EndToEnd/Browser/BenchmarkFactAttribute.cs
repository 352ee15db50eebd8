namespace FleetMfa.EndToEnd.Browser;

/// <summary>
/// A benchmark that runs only when <c>FLEETMFA_DASHBOARD_BENCH_DEVICES</c> is set (deploy/bench-dashboard.sh sets it);
/// in the default test run it is skipped.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BenchmarkFactAttribute : FactAttribute
{
    public const string DevicesVariable = "FLEETMFA_DASHBOARD_BENCH_DEVICES";

    public BenchmarkFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(DevicesVariable)))
        {
            Skip = $"a benchmark: run deploy/bench-dashboard.sh (sets {DevicesVariable})";
        }
    }
}
