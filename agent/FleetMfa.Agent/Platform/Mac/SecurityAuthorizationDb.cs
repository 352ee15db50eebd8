using System.Diagnostics;
using System.Runtime.Versioning;

namespace FleetMfa.Agent.Platform.Mac;

/// <summary>The real database through Apple's <c>/usr/bin/security authorizationdb read|write RIGHT</c>. Compiled everywhere, run only on macOS.</summary>
[SupportedOSPlatform("macos")]
public sealed class SecurityAuthorizationDb(string pluginDirectory = "/Library/Security/SecurityAgentPlugins") : IAuthorizationDb
{
    private const string Security = "/usr/bin/security";

    public string ReadRight(string right) => Run(["authorizationdb", "read", right], null);

    public void WriteRight(string right, string plist) => Run(["authorizationdb", "write", right], plist);

    public IReadOnlyList<string> InstalledPlugins() =>
        Directory.Exists(pluginDirectory)
            ? Directory.EnumerateDirectories(pluginDirectory, "*.bundle").Select(Path.GetFileNameWithoutExtension).OfType<string>().ToList()
            : [];

    private static string Run(IReadOnlyList<string> arguments, string? input)
    {
        var info = new ProcessStartInfo(Security)
        {
            UseShellExecute = false,
            RedirectStandardInput = input is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new PolicyException($"{Security} did not start");
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }

        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output
            : throw new PolicyException($"security {string.Join(' ', arguments)} failed (exit {process.ExitCode}): {errors.GetAwaiter().GetResult().Trim()}");
    }
}
