using System.Diagnostics;

namespace FleetMfa.Agent.Tests.Infrastructure;

/// <summary>Debian's <c>oathtool</c> (package <c>oathtool</c>), run as a process: the independent TOTP reference.</summary>
public static class Oathtool
{
    private const string Path = "/usr/bin/oathtool";

    /// <summary>The code <c>oathtool --totp</c> prints for <paramref name="secret"/> at <paramref name="at"/>.</summary>
    public static async Task<string> TotpAsync(byte[] secret, DateTimeOffset at, string algorithm, int digits, int periodSeconds)
    {
        if (!File.Exists(Path))
        {
            throw new InvalidOperationException($"{Path} is missing: install it with 'apt-get install oathtool'; it is the independent RFC 6238 reference these tests compare against.");
        }

        var start = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add($"--totp={algorithm.ToLowerInvariant()}");
        start.ArgumentList.Add($"--digits={digits}");
        start.ArgumentList.Add($"--time-step-size={periodSeconds}s");
        start.ArgumentList.Add("--base32");
        start.ArgumentList.Add(Encodings.ToBase32(secret));
        start.ArgumentList.Add("--now");
        start.ArgumentList.Add($"{at.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC");

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{Path} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"oathtool exited with {process.ExitCode}: {await stderr}");
        }

        return (await stdout).Trim();
    }
}
