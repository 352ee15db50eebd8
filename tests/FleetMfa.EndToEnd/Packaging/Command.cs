using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd.Packaging;

/// <summary>Runs commands to completion as real processes.</summary>
public static class Command
{
    /// <summary>Runs <paramref name="fileName"/> with an empty stdin, logging under <paramref name="logDirectory"/>.</summary>
    public static async Task<CommandResult> RunAsync(
        string logDirectory, string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var log = Path.Combine(logDirectory, $"{Path.GetFileName(fileName)}-{Guid.NewGuid().ToString("N")[..6]}.log");
        await using var process = ChildProcess.Start(fileName, arguments, logDirectory, environment ?? new Dictionary<string, string>(), log, standardInput: "");
        var exitCode = await process.WaitForExitAsync(timeout ?? TimeSpan.FromMinutes(2));
        return new CommandResult(exitCode, process.Output);
    }
}
