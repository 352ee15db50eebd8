using FleetMfa.Grains.Devices;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Devices;

public sealed class InMemoryDeviceIndexStoreTests : DeviceIndexStoreContract
{
    protected override IDeviceIndexStore Store { get; } = new InMemoryDeviceIndexStore();
}
