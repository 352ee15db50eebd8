using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd.Ssh;

/// <summary>A short-lived system tool (useradd, ssh-keygen, the PAM build) run to completion; a non-zero exit fails the test.</summary>
public static class SystemCommand
{
    public static async Task<string> RunAsync(string logDirectory, string fileName, IReadOnlyList<string> arguments, string? standardInput = null)
    {
        var log = Path.Combine(logDirectory, $"{Path.GetFileName(fileName)}-{Guid.NewGuid().ToString("N")[..6]}.log");
        await using var process = ChildProcess.Start(fileName, arguments, logDirectory, new Dictionary<string, string>(), log, standardInput);
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromMinutes(3));
        Assert.True(exitCode == 0, $"{fileName} {string.Join(' ', arguments)} exited with {exitCode}:\n{process.Tail()}");
        return process.Output;
    }
}
