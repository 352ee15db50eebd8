using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd.Ssh;

/// <summary>
/// <c>pam_fleetmfa.so</c>: the one deploy/test.sh built (<c>FLEETMFA_TEST_PAM_MODULE</c>), else built once per test run
/// with <c>deploy/pam/build.sh</c> (gcc + Debian's libpam0g-dev).
/// </summary>
public static class PamModule
{
    private static readonly Lock Gate = new();
    private static Task<string>? _built;

    public static Task<string> PathAsync(TestWorkspace workspace)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        if (Environment.GetEnvironmentVariable("FLEETMFA_TEST_PAM_MODULE") is { Length: > 0 } given && File.Exists(given))
        {
            return Task.FromResult(given);
        }

        lock (Gate)
        {
            return _built ??= BuildAsync(workspace.NewDirectory("pam"));
        }
    }

    private static async Task<string> BuildAsync(string output)
    {
        await SystemCommand.RunAsync(output, "bash", [Path.Combine(TestPaths.RepoRoot, "deploy", "pam", "build.sh"), output]);
        return Path.Combine(output, "pam_fleetmfa.so");
    }
}
