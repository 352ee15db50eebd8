using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Storage;

namespace FleetMfa.EndToEnd;

/// <summary>A silo that cannot run says why in one line and exits with a distinct code (DESIGN §7, "Running it").</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed partial class StartupFailureTests(EndToEndFixture fixture)
{
    private static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task The_silo_exits_with_code_3_naming_FLEETMFA_STORAGE_when_storage_is_unreachable()
    {
        var settings = fixture.NewSiloSettings("nostorage") with
        {
            // Every endpoint on a port nothing listens on.
            Storage = StorageEndpoints.Redirect(fixture.Storage.ConnectionString, _ => FreePorts.Next()),
            Environment = new Dictionary<string, string> { ["FleetMfa__Storage__StartupTimeout"] = "00:00:03" },
        };
        var clock = Stopwatch.StartNew();
        await using var silo = SiloProcess.Launch(settings);

        var answered = new List<HttpStatusCode>();
        while (!silo.Process.HasExited && clock.Elapsed < ExitDeadline)
        {
            if (await silo.ProbeHealthAsync() is { } status)
            {
                answered.Add(status);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        var exitCode = await silo.Process.WaitForExitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(3, exitCode);
        Assert.True(clock.Elapsed < ExitDeadline, $"took {clock.Elapsed}");
        Assert.Empty(answered);
        Assert.Contains(silo.Output.Split('\n'), line => line.Contains("FLEETMFA_STORAGE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_silo_exits_with_code_2_naming_FLEETMFA_ADMIN_KEY_when_the_admin_key_is_31_characters()
    {
        var settings = fixture.NewSiloSettings("shortkey") with { AdminKey = new string('k', 31) };
        await using var silo = SiloProcess.Launch(settings);

        var exitCode = await silo.Process.WaitForExitAsync(ExitDeadline);

        Assert.Equal(2, exitCode);
        Assert.Contains(silo.Output.Split('\n'), line => line.Contains("FLEETMFA_ADMIN_KEY", StringComparison.Ordinal) && line.Contains("32", StringComparison.Ordinal));
        Assert.DoesNotContain(new string('k', 31), silo.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not a key")]
    [InlineData("same")]
    public async Task The_silo_exits_with_code_2_naming_FLEETMFA_SIGNING_KEY_PREVIOUS_when_it_is_no_key_or_the_signing_key_itself(string previous)
    {
        var key = FleetMfa.Protocol.Signing.DesiredStateSigner.NewPrivateKey();
        var settings = fixture.NewSiloSettings("badprevious") with
        {
            Environment = new Dictionary<string, string> { ["FLEETMFA_SIGNING_KEY"] = key, ["FLEETMFA_SIGNING_KEY_PREVIOUS"] = previous == "same" ? key : previous },
        };
        await using var silo = SiloProcess.Launch(settings);

        var exitCode = await silo.Process.WaitForExitAsync(ExitDeadline);

        Assert.Equal(2, exitCode);
        Assert.Contains(silo.Output.Split('\n'), line => line.Contains("FLEETMFA_SIGNING_KEY_PREVIOUS", StringComparison.Ordinal));
        Assert.DoesNotContain(key, silo.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_silo_exits_with_code_2_naming_FLEETMFA_AGENT_CA_CERT_when_the_configured_CA_is_no_CA()
    {
        var notCa = Path.Combine(fixture.Workspace.NewDirectory("not-a-ca"), "ca.pem");
        await File.WriteAllTextAsync(notCa, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        var settings = fixture.NewSiloSettings("badca") with
        {
            Environment = new Dictionary<string, string> { ["FLEETMFA_AGENT_CA_CERT"] = notCa },
        };
        await using var silo = SiloProcess.Launch(settings);

        var exitCode = await silo.Process.WaitForExitAsync(ExitDeadline);

        Assert.Equal(2, exitCode);
        Assert.Contains(silo.Output.Split('\n'), line => line.Contains("Configuration error", StringComparison.Ordinal) && line.Contains("FLEETMFA_AGENT_CA_CERT", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_silo_starts_with_an_admin_key_of_32_characters()
    {
        var key = new string('k', 32);
        await using var silo = await SiloProcess.StartAsync(fixture.NewSiloSettings("key32") with { AdminKey = key });

        (await silo.Admin.PutAsync($"/api/orgs/{TestIds.Unique("key32")}", new { name = "Key 32" })).Ok();
    }

    [Fact]
    public async Task The_silo_exits_with_code_1_naming_FLEETMFA_HTTP_PORT_when_the_port_is_taken()
    {
        var (exitCode, output) = await RunOnBusyHttpPortAsync();

        Assert.Equal(1, exitCode);
        Assert.Contains(output.Split('\n'), line => line.Contains("FLEETMFA_HTTP_PORT", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_taken_HTTP_port_is_reported_without_a_stack_trace()
    {
        var (_, output) = await RunOnBusyHttpPortAsync();

        var frames = output.Split('\n').Where(l => StackFrame().IsMatch(l)).ToList();
        Assert.True(frames.Count == 0, $"DESIGN \"Running it\": a port in use is a clear error, not a stack trace; the output has {frames.Count} stack frames, e.g.:\n{string.Join('\n', frames.Take(5))}");
    }

    private async Task<(int ExitCode, string Output)> RunOnBusyHttpPortAsync()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;

        await using var silo = SiloProcess.Launch(fixture.NewSiloSettings("busyport") with { HttpPort = port });

        var exitCode = await silo.Process.WaitForExitAsync(ExitDeadline);
        return (exitCode, silo.Output);
    }

    [GeneratedRegex(@"^\s+at \S+.*\)( in .*)?$")]
    private static partial Regex StackFrame();
}
