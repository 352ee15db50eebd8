using FleetMfa.Silo.Hosting;
using FleetMfa.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Reminders.Diagnostics;
using Orleans.TestingHost;

namespace FleetMfa.Tests.Hosting;

/// <summary><see cref="ReminderServiceMonitor"/>: what <c>/healthz</c> says about the silo's reminder service.</summary>
[Collection(ClusterCollection.Name)]
public class ReminderServiceMonitorTests(ClusterFixture fixture)
{
    private IServiceProvider SiloServices => ((InProcessSiloHandle)fixture.Cluster.Primary!).SiloHost.Services;

    [Fact]
    public void A_started_silo_has_seen_its_reminder_service_start()
    {
        Assert.True(SiloServices.GetRequiredService<ReminderServiceMonitor>().IsStarted);
    }

    [Fact]
    public void Only_its_own_silos_reminder_service_counts()
    {
        var details = SiloServices.GetRequiredService<ILocalSiloDetails>();
        using var monitor = new ReminderServiceMonitor(details);
        Assert.False(monitor.IsStarted);

        monitor.OnNext(new ReminderEvents.ReminderServiceStarted(SiloAddress.New(System.Net.IPAddress.Loopback, 1, 1)));
        Assert.False(monitor.IsStarted);

        monitor.OnNext(new ReminderEvents.ReminderServiceStarted(details.SiloAddress));
        Assert.True(monitor.IsStarted);
    }
}
