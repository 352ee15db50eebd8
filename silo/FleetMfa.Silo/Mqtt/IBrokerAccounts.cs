namespace FleetMfa.Silo.Mqtt;

/// <summary>Gives a newly enrolled device its account on the broker (credentials and, through them, its topic ACL).</summary>
public interface IBrokerAccounts
{
    Task CreateDeviceAccountAsync(DeviceIdentity device, string password, CancellationToken cancellationToken);
}
