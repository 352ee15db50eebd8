namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// The embedded broker keeps no account list: it authenticates each connect against the device grain, which already
/// holds the password hash from enrollment, so there is nothing more to create.
/// </summary>
public sealed class EmbeddedBrokerAccounts : IBrokerAccounts
{
    public Task CreateDeviceAccountAsync(DeviceIdentity device, string password, CancellationToken cancellationToken) => Task.CompletedTask;
}
