using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd.Packaging;

/// <summary>
/// deploy/package-agent.sh run once for real on the NativeAOT agent deploy/test.sh already published
/// (<c>$FLEETMFA_TEST_DATA/agent-aot</c>, else <c>deploy/.out/agent/linux-x64</c> from deploy/build-agent.sh), and its
/// tarball unpacked with tar.
/// </summary>
public sealed class PackagedAgent : IAsyncLifetime
{
    private readonly TestWorkspace _workspace = TestWorkspace.Create();

    public string Directory { get; private set; } = "";

    public string Tarball { get; private set; } = "";

    /// <summary>Empty when dpkg-deb is not installed.</summary>
    public string Deb { get; private set; } = "";

    /// <summary>The unpacked package tree (<c>fleetmfa-agent_{version}_amd64/</c>).</summary>
    public string Root { get; private set; } = "";

    /// <summary><c>tar -tv --numeric-owner</c>: one line per entry with mode, owner and path.</summary>
    public IReadOnlyList<string> Listing { get; private set; } = [];

    public string PackagingOutput { get; private set; } = "";

    public static string AgentBinary()
    {
        string?[] candidates =
        [
            Environment.GetEnvironmentVariable("FLEETMFA_TEST_DATA") is { Length: > 0 } data ? Path.Combine(data, "agent-aot", "fleetmfa-agent") : null,
            Path.Combine(TestPaths.RepoRoot, "deploy", ".out", "agent", "linux-x64", "fleetmfa-agent"),
        ];
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("No NativeAOT agent to package: run deploy/build-agent.sh first (deploy/test.sh does).");
    }

    public async Task InitializeAsync()
    {
        Directory = _workspace.NewDirectory("package");
        var script = Path.Combine(TestPaths.RepoRoot, "deploy", "package-agent.sh");
        // Minutes, not seconds, on a loaded CI machine: it compresses the 7.6 MB binary twice (tarball and .deb).
        var packaging = await Command.RunAsync(Directory, "bash", [script, "--binary", AgentBinary(), Path.Combine(Directory, "out")], timeout: TimeSpan.FromMinutes(10));
        PackagingOutput = packaging.Output;
        Assert.True(packaging.ExitCode == 0, $"package-agent.sh failed ({packaging.ExitCode}):\n{packaging.Output}");

        var result = packaging.Output.Split('\n').Last(l => l.StartsWith("tarball=", StringComparison.Ordinal));
        var fields = result.Split(' ').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1].Trim());
        Tarball = fields["tarball"];
        Deb = fields["deb"];

        var extract = Path.Combine(Directory, "extract");
        System.IO.Directory.CreateDirectory(extract);
        Assert.Equal(0, (await Command.RunAsync(Directory, "tar", ["-xzf", Tarball, "-C", extract])).ExitCode);
        Root = System.IO.Directory.GetDirectories(extract).Single();
        var listing = await Command.RunAsync(Directory, "tar", ["-tvzf", Tarball, "--numeric-owner"]);
        Assert.Equal(0, listing.ExitCode);
        Listing = listing.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public Task DisposeAsync()
    {
        _workspace.Dispose();
        return Task.CompletedTask;
    }
}
