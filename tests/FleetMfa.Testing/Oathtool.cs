using System.Diagnostics;
using System.Globalization;

namespace FleetMfa.Testing;

/// <summary>
/// TOTP codes from Debian's <c>oathtool</c> (package <c>oathtool</c>), run as a process: the independent RFC 6238
/// reference of DESIGN §9 — a code the silo or the agent accepts was not computed by their own code.
/// </summary>
public static class Oathtool
{
    private static readonly Lazy<string> Executable = new(Find);

    /// <summary>
    /// The code of <paramref name="base32Secret"/> now, or at <paramref name="at"/> (<c>--now</c>); SHA-1, 6 digits and
    /// 30 s steps unless told.
    /// </summary>
    public static string Totp(string base32Secret, DateTimeOffset? at = null, string algorithm = "SHA1", int digits = 6, int periodSeconds = 30)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        var info = new ProcessStartInfo(Executable.Value)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add($"--totp={algorithm.ToLowerInvariant()}");
        info.ArgumentList.Add($"--digits={digits}");
        info.ArgumentList.Add($"--time-step-size={periodSeconds}s");
        info.ArgumentList.Add("--base32");
        if (at is { } time)
        {
            info.ArgumentList.Add("--now");
            info.ArgumentList.Add(time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));
        }

        info.ArgumentList.Add(base32Secret);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("oathtool did not start.");
        var output = process.StandardOutput.ReadToEnd().Trim();
        var error = process.StandardError.ReadToEnd().Trim();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"oathtool failed (exit {(process.HasExited ? process.ExitCode : -1)}): {error}");
        }

        if (output.Length != digits || !output.All(char.IsAsciiDigit))
        {
            throw new InvalidOperationException($"oathtool printed '{output}', not a {digits}-digit code.");
        }

        return output;
    }

    /// <summary>
    /// A 6-digit code that is not the code of any time step within two of now, so no drift window accepts it (a fixed
    /// "000000" would be right once in a million steps).
    /// </summary>
    public static string WrongTotp(string base32Secret)
    {
        var now = DateTimeOffset.UtcNow;
        var valid = Enumerable.Range(-2, 5).Select(step => Totp(base32Secret, now.AddSeconds(30 * step))).ToHashSet(StringComparer.Ordinal);
        return Enumerable.Range(0, 10).Select(n => $"{n * 111_111:D6}").First(code => !valid.Contains(code));
    }

    private static string Find()
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return directories.Select(d => Path.Combine(d, "oathtool")).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "oathtool is not installed; it is the independent TOTP reference these tests need (DESIGN §9). " +
                "Install it with `apt-get install -y oathtool` (deploy/test.sh does).");
    }
}
