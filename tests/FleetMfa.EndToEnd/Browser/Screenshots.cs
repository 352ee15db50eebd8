using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd.Browser;

/// <summary>
/// Where browser tests save their screenshots: <c>$FLEETMFA_TEST_RESULTS/screenshots/</c> (deploy/test.sh's results
/// folder, <c>TestResults/</c> in the repository by default).
/// </summary>
public static class Screenshots
{
    public static string Directory { get; } = Create();

    public static string PathFor(string name) =>
        Path.Combine(Directory, $"{string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-'))}.png");

    private static string Create()
    {
        var results = Environment.GetEnvironmentVariable("FLEETMFA_TEST_RESULTS") is { Length: > 0 } configured
            ? configured
            : Path.Combine(TestPaths.RepoRoot, "TestResults");
        var directory = Path.Combine(results, "screenshots");
        System.IO.Directory.CreateDirectory(directory);
        return directory;
    }
}
