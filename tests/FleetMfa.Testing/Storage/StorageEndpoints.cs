using System.Globalization;
using System.Text.RegularExpressions;

namespace FleetMfa.Testing.Storage;

/// <summary>The loopback endpoints (blob, queue, table) of an Azurite connection string, read and moved.</summary>
public static partial class StorageEndpoints
{
    /// <summary>The ports of the connection string's endpoints on 127.0.0.1, in the order they appear.</summary>
    public static IReadOnlyList<int> Ports(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var ports = LoopbackEndpointPort().Matches(connectionString).Select(m => int.Parse(m.Value, CultureInfo.InvariantCulture)).ToList();
        return ports.Count > 0 ? ports : throw new ArgumentException("The connection string has no endpoint on 127.0.0.1.", nameof(connectionString));
    }

    /// <summary>The connection string with each endpoint's port replaced by <paramref name="port"/> of it.</summary>
    public static string Redirect(string connectionString, Func<int, int> port)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        ArgumentNullException.ThrowIfNull(port);
        return LoopbackEndpointPort().Replace(connectionString, m => port(int.Parse(m.Value, CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"(?<=(?:Blob|Queue|Table)Endpoint=http://127\.0\.0\.1:)\d+")]
    private static partial Regex LoopbackEndpointPort();
}
