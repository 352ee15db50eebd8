using FleetMfa.Testing.Network;

namespace FleetMfa.Testing.Storage;

/// <summary>
/// Azure Storage behind a <see cref="TcpProxy"/> per endpoint (blob, queue, table) of a loopback connection string,
/// so a test can make storage unreachable for a silo (<see cref="Cut"/>) and bring it back (<see cref="Restore"/>)
/// while Azurite itself runs on, untouched. Give the silo <see cref="ConnectionString"/>.
/// </summary>
public sealed class StorageProxy : IAsyncDisposable
{
    private readonly IReadOnlyList<TcpProxy> _proxies;

    private StorageProxy(string connectionString, IReadOnlyList<TcpProxy> proxies)
    {
        ConnectionString = connectionString;
        _proxies = proxies;
    }

    /// <summary>The storage's connection string with every endpoint pointing at its proxy.</summary>
    public string ConnectionString { get; }

    public bool IsCut => _proxies.Any(p => !p.IsOpen);

    /// <summary>Open connections reset by <see cref="Cut"/> so far.</summary>
    public int ConnectionsCut => _proxies.Sum(p => p.Cut);

    /// <summary>Connections refused (reset at once) while storage was cut: attempts to reach it during the outage.</summary>
    public int ConnectionsRefused => _proxies.Sum(p => p.Refused);

    public static StorageProxy Start(string connectionString)
    {
        var proxies = StorageEndpoints.Ports(connectionString).Distinct().ToDictionary(port => port, TcpProxy.Start);
        return new StorageProxy(StorageEndpoints.Redirect(connectionString, port => proxies[port].Port), [.. proxies.Values]);
    }

    /// <summary>Storage unreachable: open connections reset, new ones reset at once.</summary>
    public void Cut()
    {
        foreach (var proxy in _proxies)
        {
            proxy.Close();
        }
    }

    public void Restore()
    {
        foreach (var proxy in _proxies)
        {
            proxy.Open();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in _proxies)
        {
            await proxy.DisposeAsync();
        }
    }
}
