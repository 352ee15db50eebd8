using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FleetMfa.Grains;
using FleetMfa.Grains.Revocation;
using FleetMfa.Silo.Tls;
using Microsoft.Extensions.Options;

namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// Hands the revocation list to Mosquitto over TLS: its CRL (<see cref="MosquittoOptions.CrlFile"/>, signed by the
/// FleetMfa CA) and the fleetmfa_limits plugin's revoked file (<see cref="MosquittoOptions.RevokedFile"/>), each written
/// to a temporary file and renamed over the old one (the broker never reads half a file), then a reload. Both layers,
/// because neither alone holds on Mosquitto 2.0 (deploy/mosquitto/fleetmfa-tls.conf.template): the CRL refuses new
/// handshakes, and the plugin cuts off connections already open and fails closed when its file is bad, where a CRL
/// that does not load leaves the listener without one. Writers on other silos sharing the files are kept out by an
/// exclusive lock file (the revocation grain, one activation, is the only caller in a healthy cluster).
/// </summary>
public sealed partial class MosquittoRevocationFiles(
    IOptions<MosquittoOptions> options, FleetMfaCertificateAuthority ca, ILogger<MosquittoRevocationFiles> logger) : IRevocationListPublisher
{
    private readonly MosquittoOptions _options = options.Value;

    public async Task PublishAsync(RevocationList list, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(list);
        var crl = ca.BuildRevocationList(
            list.Certificates.Select(c => (c.Serial, c.RevokedAt)), list.Number, list.IssuedAt, list.IssuedAt.AddDays(_options.CrlDays));
        await using (await LockAsync(cancellationToken))
        {
            // The plugin's file first: a crash between the two leaves the layer that fails closed ahead, never behind.
            await WriteAtomicallyAsync(_options.RevokedFile!, RevokedFileText(list), cancellationToken);
            await WriteAtomicallyAsync(_options.CrlFile!, PemEncoding.WriteString("X509 CRL", crl) + "\n", cancellationToken);
        }

        if (_options.Reload == MosquittoReload.Signal)
        {
            var pid = await MosquittoSignal.ReloadAsync(_options.PidFile!, cancellationToken);
            LogReloaded(logger, list.Number, list.Certificates.Count, pid);
        }
    }

    /// <summary>The plugin's format: "SERIAL USERNAME" lines, each ending in '\n', after a comment that names the list.</summary>
    public static string RevokedFileText(RevocationList list)
    {
        ArgumentNullException.ThrowIfNull(list);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# FleetMfa revocation list {list.Number}, {list.IssuedAt:O}: written by the silo on every change; do not edit.\n");
        foreach (var certificate in list.Certificates)
        {
            text.Append(CultureInfo.InvariantCulture, $"{certificate.Serial} {certificate.Username}\n");
        }

        return text.ToString();
    }

    private static async Task WriteAtomicallyAsync(string path, string content, CancellationToken cancellationToken)
    {
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        }

        await using (var stream = new FileStream(temp, fileOptions))
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(content), cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    private async Task<FileStream> LockAsync(CancellationToken cancellationToken)
    {
        var path = _options.RevokedFile + ".lock";
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 500)
            {
                await Task.Delay(10, cancellationToken);
            }
        }
    }

    [LoggerMessage(322, LogLevel.Information, "Mosquitto (pid {Pid}) reloaded with revocation list {Number} ({Count} certificates)")]
    private static partial void LogReloaded(ILogger logger, long number, int count, int pid);
}
