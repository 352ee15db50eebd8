using System.Security.Cryptography;
using FleetMfa.EndToEnd.Infrastructure;
using MQTTnet;
using Xunit.Abstractions;

namespace FleetMfa.EndToEnd;

/// <summary>
/// CONNECTs to the embedded broker under well-formed device names — of orgs that do not exist, or devices never enrolled
/// in an org that does — are refused before any grain is activated: a stranger cannot make the silo activate one device
/// grain per attempt.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class UnknownDeviceConnectTests(EndToEndFixture fixture, ITestOutputHelper output)
{
    private const int Attempts = 300;
    private const string ActivationsCreated = "orleans_catalog_activation_created_total";

    [Fact]
    public Task Connects_for_devices_of_unknown_orgs_are_refused_without_activating_a_grain() =>
        RefusedWithoutActivationsAsync(_ => $"ghost-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}");

    [Fact]
    public async Task Connects_for_devices_never_enrolled_in_an_existing_org_are_refused_without_activating_a_grain()
    {
        var org = TestIds.Unique("ghost-devices");
        (await fixture.Silo.Admin.PutAsync($"/api/orgs/{org}", new { name = "Ghost devices" })).Ok();
        await RefusedWithoutActivationsAsync(_ => org);
    }

    private async Task RefusedWithoutActivationsAsync(Func<int, string> orgOf)
    {
        var silo = fixture.Silo;
        var before = await ActivationsAsync(silo);

        var refused = 0;
        for (var i = 0; i < Attempts; i++)
        {
            var username = $"{orgOf(i)}/web-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
            var (probe, result) = await MqttProbe.ConnectAsync(silo.MqttPlaintextPort, username, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
            await probe.DisposeAsync();
            refused += result == MqttClientConnectResultCode.BadUserNameOrPassword ? 1 : 0;
        }

        var after = await ActivationsAsync(silo);
        output.WriteLine($"{refused} of {Attempts} connects refused; grain activations created {before} before, {after} after");
        Assert.Equal(Attempts, refused);
        Assert.InRange(after - before, 0, 5);
    }

    private static async Task<double> ActivationsAsync(SiloProcess silo)
    {
        var metrics = await PrometheusText.ScrapeAsync(silo.Admin);
        Assert.True(metrics.Has(ActivationsCreated), $"/metrics has no {ActivationsCreated}");
        return metrics.Sum(ActivationsCreated);
    }
}
