using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd.Packaging;

/// <summary>Runs a command to completion as a real process (logged under <paramref name="logDirectory"/>; stdin empty).</summary>
public static class Command
{
    public static async Task<CommandResult> RunAsync(
        string logDirectory, string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var log = Path.Combine(logDirectory, $"{Path.GetFileName(fileName)}-{Guid.NewGuid().ToString("N")[..6]}.log");
        await using var process = ChildProcess.Start(fileName, arguments, logDirectory, environment ?? new Dictionary<string, string>(), log, standardInput: "");
        var exitCode = await process.WaitForExitAsync(timeout ?? TimeSpan.FromMinutes(2));
        return new CommandResult(exitCode, process.Output);
    }
}
