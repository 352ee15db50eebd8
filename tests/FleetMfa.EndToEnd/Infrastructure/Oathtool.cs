using System.Diagnostics;
using System.Globalization;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// TOTP codes from Debian's <c>oathtool</c>, the independent reference of DESIGN §9 (a code the silo accepts was not
/// computed by the silo's own library).
/// </summary>
public static class Oathtool
{
    private static readonly Lazy<string> Path = new(Find);

    /// <summary>The 6-digit SHA-1/30 s code of <paramref name="base32Secret"/> now, or at <paramref name="at"/> (<c>--now</c>).</summary>
    public static string Totp(string base32Secret, DateTimeOffset? at = null)
    {
        var info = new ProcessStartInfo(Path.Value)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("--totp");
        info.ArgumentList.Add("-b");
        if (at is { } time)
        {
            info.ArgumentList.Add("--now");
            info.ArgumentList.Add(time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));
        }

        info.ArgumentList.Add(base32Secret);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("oathtool did not start.");
        var output = process.StandardOutput.ReadToEnd().Trim();
        var error = process.StandardError.ReadToEnd().Trim();
        if (!process.WaitForExit(TimeSpan.FromSeconds(10)) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"oathtool failed (exit {(process.HasExited ? process.ExitCode : -1)}): {error}");
        }

        Assert.Matches("^[0-9]{6}$", output);
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
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return directories.Select(d => System.IO.Path.Combine(d, "oathtool")).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "oathtool is not installed; it is the independent TOTP reference these tests need (DESIGN §9). " +
                "Install it with `apt-get install -y oathtool` (deploy/test.sh does).");
    }
}
