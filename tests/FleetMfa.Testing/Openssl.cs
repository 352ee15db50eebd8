using System.Diagnostics;

namespace FleetMfa.Testing;

/// <summary>
/// Debian's <c>openssl</c> command, run as a process: the independent reader of what the control plane writes for
/// brokers (CRLs, certificates) — it parses and verifies them the way Mosquitto's OpenSSL does.
/// </summary>
public static class Openssl
{
    /// <summary>Runs <c>openssl <paramref name="arguments"/></c> and returns what it printed; throws when it fails.</summary>
    public static string Run(params string[] arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var info = new ProcessStartInfo("openssl") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("openssl did not start (apt-get install openssl).");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl {string.Join(' ', arguments)} failed (exit {(process.HasExited ? process.ExitCode : -1)}): {error.Result}");
        }

        return output + error.Result;
    }
}
