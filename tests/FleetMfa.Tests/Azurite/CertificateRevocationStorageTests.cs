using FleetMfa.Grains;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Azurite;

/// <summary>
/// The revocation list under the real grain on Azurite: a revocation is stored before the broker is told, a failed
/// write tells the broker nothing and a retry does the work, a failed hand-over is an error (the device's outbox
/// retries it) and the next one carries the stored list, and the list survives a full restart. Each test uses a list
/// of its own (the grain's key), so tests sharing the cluster stay apart.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class CertificateRevocationStorageTests(AzuriteClusterFixture fixture)
{
    private static readonly RecordingRevocationListPublisher Broker = FleetSiloConfigurator.RevocationLists;

    private IGrainFactory Grains => fixture.Grains;

    [Theory]
    [InlineData(StorageFault.Refused)]
    [InlineData(StorageFault.Timeout)]
    public async Task A_revocation_whose_write_fails_tells_the_broker_nothing_and_a_retry_does_it(StorageFault fault)
    {
        var list = Grains.GetGrain<ICertificateRevocationGrain>(TestIds.Unique("crl"));
        var device = TestIds.Unique("acme") + "/web-01";
        var certificate = new DeviceCertificate("0A1B2C", [1], DateTimeOffset.UtcNow.AddDays(30));
        await list.PublishAsync();

        FaultInjectingGrainStorage.FailNextWrite(list.GetGrainId(), fault);
        await FleetAssert.StorageFailedAsync(() => list.RevokeAsync(device, [certificate]));
        Assert.False(FaultInjectingGrainStorage.IsArmed(list.GetGrainId()), "the call never wrote");
        Assert.Equal(0, Broker.Count(device));
        Assert.Empty((await list.GetAsync()).Certificates);

        await list.RevokeAsync(device, [certificate]);
        var told = Broker.Last(device)!;
        Assert.Equal(("0A1B2C", device), (Assert.Single(told.Certificates).Serial, told.Certificates[0].Username));
        Assert.Equal(1, told.Number);

        await fixture.RestartClusterAsync();
        var stored = await Grains.GetGrain<ICertificateRevocationGrain>(list.GetPrimaryKeyString()).GetAsync();
        Assert.Equal((1L, "0A1B2C"), (stored.Number, Assert.Single(stored.Certificates).Serial));
    }

    [Fact]
    public async Task A_hand_over_that_fails_is_an_error_and_the_next_one_carries_the_stored_list()
    {
        var list = Grains.GetGrain<ICertificateRevocationGrain>(TestIds.Unique("crl"));
        var device = TestIds.Unique("acme") + "/web-02";
        var certificate = new DeviceCertificate("7F01", [1], DateTimeOffset.UtcNow.AddDays(30));

        Broker.FailNext(device);
        await Assert.ThrowsAsync<IOException>(() => list.RevokeAsync(device, [certificate]));
        Assert.Equal(0, Broker.Count(device));

        // Stored all the same: the retry (the device grain's outbox) changes nothing more and tells the broker.
        await list.RevokeAsync(device, [certificate]);
        Assert.Equal(1, Broker.Count(device));
        Assert.Equal(1, Broker.Last(device)!.Number);

        // A silo's start hands the stored list over again.
        await list.PublishAsync();
        Assert.Equal(2, Broker.Count(device));
    }
}
