using FleetMfa.Grains;
using FleetMfa.Silo.Mqtt;
using FleetMfa.Silo.Tls;
using FleetMfa.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FleetMfa.Tests.Mqtt;

/// <summary>
/// What the silo writes for Mosquitto on a revocation, read back by openssl (Mosquitto's own TLS library): a CRL the
/// FleetMfa CA signed that names exactly the listed serials and is valid from before now until CrlDays after, and the
/// plugin's revoked file; a reload that cannot be sent is an error, never a silent success.
/// </summary>
public sealed class MosquittoRevocationFilesTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly FleetMfaCertificateAuthority _ca = FleetMfaCertificateAuthority.Create(Now.AddDays(-1));
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("fleetmfa-revocation-");

    private string CrlFile => Path.Combine(_directory.FullName, "crl.pem");

    private string RevokedFile => Path.Combine(_directory.FullName, "revoked");

    private string CaFile => Path.Combine(_directory.FullName, "ca.crt");

    [Fact]
    public async Task The_CRL_is_signed_by_the_CA_and_names_the_revoked_serials_and_the_revoked_file_names_them_with_their_devices()
    {
        var files = Files(MosquittoReload.External);
        var list = new RevocationList(
            7,
            [new RevokedCertificate("00A1B2C3", "acme/web-01", Now.AddDays(30), Now), new RevokedCertificate("7F0011", "acme/web-02", Now.AddDays(2), Now)],
            Now);

        await files.PublishAsync(list, CancellationToken.None);

        var crl = Openssl.Run("crl", "-in", CrlFile, "-CAfile", CaFile, "-noout", "-text");
        Assert.Contains("verify OK", crl, StringComparison.Ordinal);
        Assert.Contains("Serial Number: A1B2C3", crl, StringComparison.Ordinal);
        Assert.Contains("Serial Number: 7F0011", crl, StringComparison.Ordinal);
        Assert.Contains("X509v3 CRL Number: \n                7", crl.Replace("\r", "", StringComparison.Ordinal), StringComparison.Ordinal);
        var lastUpdate = Update(Openssl.Run("crl", "-in", CrlFile, "-noout", "-lastupdate"));
        var nextUpdate = Update(Openssl.Run("crl", "-in", CrlFile, "-noout", "-nextupdate"));
        Assert.InRange(lastUpdate, Now.AddHours(-1).AddSeconds(-1), Now.AddMinutes(-59));
        Assert.InRange(nextUpdate, Now.AddDays(7).AddSeconds(-1), Now.AddDays(7).AddSeconds(1));

        var lines = await File.ReadAllLinesAsync(RevokedFile);
        Assert.StartsWith("# FleetMfa revocation list 7", lines[0], StringComparison.Ordinal);
        Assert.Equal(["00A1B2C3 acme/web-01", "7F0011 acme/web-02"], lines[1..]);
        Assert.EndsWith("\n", await File.ReadAllTextAsync(RevokedFile), StringComparison.Ordinal);
        Assert.Empty(_directory.GetFiles("*.tmp"));
    }

    [Fact]
    public async Task A_newer_list_replaces_the_files_and_an_empty_one_still_makes_a_valid_CRL()
    {
        var files = Files(MosquittoReload.External);
        await files.PublishAsync(new RevocationList(1, [new RevokedCertificate("0A", "acme/web-01", Now.AddDays(1), Now)], Now), CancellationToken.None);

        await files.PublishAsync(new RevocationList(2, [], Now), CancellationToken.None);

        var crl = Openssl.Run("crl", "-in", CrlFile, "-CAfile", CaFile, "-noout", "-text");
        Assert.Contains("verify OK", crl, StringComparison.Ordinal);
        Assert.Contains("No Revoked Certificates", crl, StringComparison.Ordinal);
        Assert.Single(await File.ReadAllLinesAsync(RevokedFile));
    }

    [Fact]
    public async Task A_reload_that_cannot_be_sent_fails_the_hand_over()
    {
        var pidFile = Path.Combine(_directory.FullName, "mosquitto.pid");
        await File.WriteAllTextAsync(pidFile, "not a pid\n");
        var files = Files(MosquittoReload.Signal, pidFile);

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            files.PublishAsync(new RevocationList(1, [new RevokedCertificate("0A", "acme/web-01", Now.AddDays(1), Now)], Now), CancellationToken.None));
    }

    public void Dispose()
    {
        _ca.Dispose();
        _directory.Delete(recursive: true);
    }

    private MosquittoRevocationFiles Files(MosquittoReload reload, string? pidFile = null)
    {
        File.WriteAllText(CaFile, _ca.Certificate.ExportCertificatePem());
        var options = new MosquittoOptions { CrlFile = CrlFile, RevokedFile = RevokedFile, Reload = reload, PidFile = pidFile };
        return new MosquittoRevocationFiles(Options.Create(options), _ca, NullLogger<MosquittoRevocationFiles>.Instance);
    }

    /// <summary>openssl's "lastUpdate=Dec  8 12:00:00 2026 GMT" as a time.</summary>
    private static DateTimeOffset Update(string line)
    {
        var value = line[(line.IndexOf('=', StringComparison.Ordinal) + 1)..].Trim().Replace("  ", " ", StringComparison.Ordinal);
        return DateTimeOffset.ParseExact(value, "MMM d HH:mm:ss yyyy 'GMT'", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);
    }
}
