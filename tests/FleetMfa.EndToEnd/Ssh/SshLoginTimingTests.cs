using System.Diagnostics;
using System.Globalization;
using FleetMfa.EndToEnd.Infrastructure;
using Xunit.Abstractions;

namespace FleetMfa.EndToEnd.Ssh;

/// <summary>
/// Accepted SSH logins one after another (password, then an oathtool code), each recorded by the PAM module's own
/// timing (<c>timing=</c>: the agent's <c>--check-required</c> and <c>verify</c> runs, without the user's typing).
/// Asserts only that every login got in and was timed; the figures are printed, and <c>deploy/bench-ssh.sh</c> runs
/// it with <c>FLEETMFA_BENCH_SSH_LOGINS</c> logins for p50/p99.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class SshLoginTimingTests(EndToEndFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Every_accepted_login_spends_its_MFA_check_in_the_agent_and_is_timed_by_the_module()
    {
        var logins = int.TryParse(Environment.GetEnvironmentVariable("FLEETMFA_BENCH_SSH_LOGINS"), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 4;
        await using var device = await SshDevice.StartAsync(fixture.Silo, fixture.Workspace, SshVariant.Password, "ssh-timing");
        var users = new List<(UnixUser User, string Secret)>();
        for (var i = 0; i < (logins + 1) / 2; i++)
        {
            // Each time step is accepted once per user; a user has two usable steps (now and the next), so two logins.
            users.Add(await device.AddSetUpUserAsync($"timing-{i}"));
        }

        await device.EnableMfaAsync();
        foreach (var (_, userId) in users.Select((u, i) => (u, $"timing-{i}")))
        {
            await device.Admin.WaitForOnDeviceAsync(device.OrgId, device.DeviceId, userId, "active");
        }

        File.Delete(device.Sshd.TimingFile);
        var wall = new List<double>();
        for (var i = 0; i < logins; i++)
        {
            var (user, secret) = users[i / 2];
            var code = Oathtool.Totp(secret, DateTimeOffset.UtcNow.AddSeconds(30 * (i % 2)));
            var watch = Stopwatch.StartNew();
            var login = await device.LoginAsync(new SshCredentials(user.Name, user.Password, null, code));
            wall.Add(watch.Elapsed.TotalMilliseconds);
            Assert.True(login.LoggedIn && login.AskedForCode, $"login {i + 1}: {login}");
        }

        var timings = (await File.ReadAllLinesAsync(device.Sshd.TimingFile))
            .Select(l => l.Split(' ').Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray())
            .ToList();
        Assert.Equal(logins, timings.Count);
        Assert.All(timings, t => Assert.True(t[0] > 0 && t[1] > 0 && t[2] == 0, $"a timed, accepted check: {string.Join(' ', t)}"));

        var summary = string.Create(CultureInfo.InvariantCulture, $"ssh-mfa-check logins={logins} agent={Path.GetFileName(Path.GetDirectoryName(SshDevice.AgentExecutable))}/fleetmfa-agent " +
            $"check_p50_ms={P(timings.Select(t => t[0] / 1000.0), 50):F1} check_p99_ms={P(timings.Select(t => t[0] / 1000.0), 99):F1} " +
            $"verify_p50_ms={P(timings.Select(t => t[1] / 1000.0), 50):F1} verify_p99_ms={P(timings.Select(t => t[1] / 1000.0), 99):F1} " +
            $"mfa_total_p50_ms={P(timings.Select(t => (t[0] + t[1]) / 1000.0), 50):F1} mfa_total_p99_ms={P(timings.Select(t => (t[0] + t[1]) / 1000.0), 99):F1} " +
            $"login_p50_ms={P(wall, 50):F1} login_p99_ms={P(wall, 99):F1}");
        output.WriteLine(summary);
        if (Environment.GetEnvironmentVariable("FLEETMFA_BENCH_SSH_OUTPUT") is { Length: > 0 } file)
        {
            await File.WriteAllTextAsync(file, summary + "\n");
        }
    }

    /// <summary>Nearest-rank percentile.</summary>
    private static double P(IEnumerable<double> values, int percentile)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
