using System.Security.Cryptography;
using System.Text;
using FleetMfa.Grains;
using Microsoft.Extensions.Options;

namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// Device accounts in Mosquitto's password file. Chosen over the dynamic-security plug-in because it still holds at
/// 10,000 devices and beyond: adding a device appends one line (dynamic security rewrites its whole JSON document
/// per command), the ACL is three <c>pattern</c> lines for every device (dynamic security needs no per-device role
/// either, but every change is a full save), and a burst of enrollments costs one reload. Entries use Mosquitto's own
/// <c>$7$</c> format (PBKDF2-SHA512), so the file never holds a password.
/// <para>
/// Revoking a device removes its line and reloads the broker. Mosquitto 2.0.11 re-checks every client on a reload
/// (<c>loop.c</c>: SIGHUP → <c>mosquitto_security_apply()</c>; <c>security_default.c</c>'s
/// <c>mosquitto_security_apply_default</c> runs <c>mosquitto_unpwd_check</c> on each client's stored username and
/// password and calls <c>do_disconnect(context, MOSQ_ERR_AUTH)</c> when it fails), so the reload also ends the
/// revoked device's connection, and its reconnects are refused.
/// </para>
/// </summary>
public sealed partial class MosquittoPasswordFile : IBrokerAccounts, IDisposable
{
    private const int SaltBytes = 12;
    private const int HashBytes = 64;

    private readonly MosquittoOptions _options;
    private readonly ILogger<MosquittoPasswordFile> _logger;
    private readonly SemaphoreSlim _appendGate = new(1, 1);
    private readonly Lock _reloadLock = new();
    private Task? _pendingReload;

    public MosquittoPasswordFile(IOptions<MosquittoOptions> options, ILogger<MosquittoPasswordFile> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
    }

    public async Task CreateDeviceAccountAsync(DeviceIdentity device, string password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        var line = $"{device.Username}:{HashEntry(password, _options.Iterations)}\n";
        await _appendGate.WaitAsync(cancellationToken);
        try
        {
            // Other silos on this machine append to the same file: an exclusive open serialises us with them.
            await using var stream = await OpenExclusiveAsync(cancellationToken);
            stream.Seek(0, SeekOrigin.End);
            await stream.WriteAsync(Encoding.UTF8.GetBytes(line), cancellationToken);
            await stream.FlushAsync(cancellationToken);
        }
        finally
        {
            _appendGate.Release();
        }

        await ScheduleReload();
    }

    public async Task RevokeDeviceAccountAsync(DeviceIdentity device, IReadOnlyList<DeviceCertificate> certificates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        var prefix = Encoding.UTF8.GetBytes($"{device.Username}:");
        bool removed;
        await _appendGate.WaitAsync(cancellationToken);
        try
        {
            await using var stream = await OpenExclusiveAsync(cancellationToken, FileAccess.ReadWrite);
            var content = new byte[stream.Length];
            await stream.ReadExactlyAsync(content, cancellationToken);
            var kept = new MemoryStream(content.Length);
            var lines = 0;
            for (var start = 0; start < content.Length;)
            {
                var end = Array.IndexOf(content, (byte)'\n', start);
                var next = end < 0 ? content.Length : end + 1;
                if (content.AsSpan(start, next - start).StartsWith(prefix))
                {
                    lines++;
                }
                else
                {
                    kept.Write(content, start, next - start);
                }

                start = next;
            }

            removed = lines > 0;
            if (removed)
            {
                // Written over from the start, then cut: every line before the removed one is rewritten with the same
                // bytes, so a crash in between can spoil only lines after it, never the file (and the bridge accounts at
                // its top) as truncating first would.
                stream.Position = 0;
                kept.Position = 0;
                await kept.CopyToAsync(stream, cancellationToken);
                stream.SetLength(kept.Length);
                stream.Flush(flushToDisk: true);
            }
        }
        finally
        {
            _appendGate.Release();
        }

        // Reloaded even when the line was gone already: a revocation retried after a crash between the two must still
        // end the connection.
        LogAccountRemoved(_logger, device.Username, removed);
        await ScheduleReload();
    }

    public void Dispose() => _appendGate.Dispose();

    /// <summary>A <c>password_file</c> entry in Mosquitto's <c>$7$</c> format: PBKDF2-HMAC-SHA512 over a 12-byte salt.</summary>
    public static string HashEntry(string password, int iterations, byte[]? salt = null)
    {
        ArgumentNullException.ThrowIfNull(password);
        salt ??= RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA512, HashBytes);
        return $"$7${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    /// <summary>One SIGHUP for every burst of new accounts; the caller returns once the reload covering its line was sent.</summary>
    private Task ScheduleReload()
    {
        if (_options.Reload == MosquittoReload.External)
        {
            return Task.CompletedTask;
        }

        lock (_reloadLock)
        {
            if (_pendingReload is { IsCompleted: false } pending)
            {
                return pending;
            }

            _pendingReload = ReloadAfterDelayAsync();
            return _pendingReload;
        }
    }

    private async Task ReloadAfterDelayAsync()
    {
        await Task.Delay(_options.ReloadDelay);
        lock (_reloadLock)
        {
            _pendingReload = null;
        }

        var pid = await MosquittoSignal.ReloadAsync(_options.PidFile!, CancellationToken.None);

        LogReloaded(_logger, pid);
    }

    private async Task<FileStream> OpenExclusiveAsync(CancellationToken cancellationToken, FileAccess access = FileAccess.Write)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(_options.PasswordFile!, FileMode.OpenOrCreate, access, FileShare.None);
            }
            catch (IOException) when (attempt < 100)
            {
                await Task.Delay(10, cancellationToken);
            }
        }
    }

    [LoggerMessage(321, LogLevel.Information, "Mosquitto account {Username} revoked (a password line removed: {Removed})")]
    private static partial void LogAccountRemoved(ILogger logger, string username, bool removed);

    [LoggerMessage(320, LogLevel.Debug, "Mosquitto (pid {Pid}) asked to reload its password file")]
    private static partial void LogReloaded(ILogger logger, int pid);
}
