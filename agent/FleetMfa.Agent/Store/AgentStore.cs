using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Store;

/// <summary>
/// The agent's data directory (mode 0700, files 0600):
/// <list type="bullet">
/// <item><c>identity.key</c> — the device's P-256 key pair (PKCS#8); the control plane seals secrets to its public half;</item>
/// <item><c>storage.key</c> — a 256-bit key that encrypts <c>state.bin</c> and the MQTT password;</item>
/// <item><c>config.json</c> — enrollment: org, device, broker endpoint, the pinned desired-state key;</item>
/// <item><c>state.bin</c> — the applied desired state with unsealed secrets, AES-256-GCM; written at enrollment (version 0,
/// MFA off), so an enrolled store without one is damaged and <c>verify</c> fails closed;</item>
/// <item><c>ledger.json</c>, <c>audit.jsonl</c> — replay/lockout bookkeeping and the audit queue, changed only under <c>store.lock</c>;</item>
/// <item><c>verify.sock</c> — while the daemon runs, where <c>verify</c> asks it to decide (see <c>VerifyWire</c>).</item>
/// </list>
/// </summary>
public sealed class AgentStore : ISecretStore
{
    public const string DefaultDataDirectory = "/var/lib/fleetmfa-agent";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    /// <summary>
    /// How long a verification waits for <c>store.lock</c> before it gives up with a store error. A verification takes
    /// it once (<see cref="UpdateLedgerAndAppendAudit{T}"/> or <see cref="AppendAudit"/>), so this plus the daemon wait
    /// (<c>VerifyClient.DefaultTimeout</c>) is what a direct decision can spend waiting, within the PAM module's timeout.
    /// </summary>
    public static readonly TimeSpan LockWait = TimeSpan.FromSeconds(10);

    public AgentStore(string dataDirectory)
    {
        DataDirectory = Path.GetFullPath(dataDirectory);
    }

    public string DataDirectory { get; }

    private string IdentityPath => Path.Combine(DataDirectory, "identity.key");

    private string StorageKeyPath => Path.Combine(DataDirectory, "storage.key");

    private string ConfigPath => Path.Combine(DataDirectory, "config.json");

    private string StatePath => Path.Combine(DataDirectory, "state.bin");

    private string LedgerPath => Path.Combine(DataDirectory, "ledger.json");

    private string AuditPath => Path.Combine(DataDirectory, "audit.jsonl");

    private string LockPath => Path.Combine(DataDirectory, "store.lock");

    public bool IsEnrolled => File.Exists(ConfigPath);

    /// <summary>
    /// Deletes the device's identity, keys, enrollment, applied state, ledger and audit queue: what <c>enroll --force</c>
    /// starts over from. The backups of OS files (<c>backup/</c>) are not the store's and stay. Returns how many queued
    /// audit events went with it.
    /// </summary>
    public int DeleteEverything()
    {
        var queued = File.Exists(AuditPath) ? PeekAudit(int.MaxValue).Count : 0;
        foreach (var path in new[] { ConfigPath, StatePath, LedgerPath, AuditPath, IdentityPath, StorageKeyPath })
        {
            File.Delete(path);
        }

        return queued;
    }

    /// <summary>Creates the data directory (0700) and the storage key if they do not exist yet.</summary>
    public void Initialize()
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(DataDirectory);
        }
        else
        {
            Directory.CreateDirectory(DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetUnixFileMode(DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        if (!File.Exists(StorageKeyPath))
        {
            var key = RandomNumberGenerator.GetBytes(32);
            CreateOnce(StorageKeyPath, key);
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>The device key pair, created on first use.</summary>
    public ECDiffieHellman LoadOrCreateIdentity()
    {
        var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        if (AtomicFile.ReadOrNull(IdentityPath) is { } pkcs8)
        {
            key.ImportPkcs8PrivateKey(pkcs8, out _);
            CryptographicOperations.ZeroMemory(pkcs8);
            return key;
        }

        var created = key.ExportPkcs8PrivateKey();
        CreateOnce(IdentityPath, created);
        CryptographicOperations.ZeroMemory(created);
        return key;
    }

    public AgentConfig? LoadConfig() =>
        AtomicFile.ReadOrNull(ConfigPath) is { } json ? JsonSerializer.Deserialize(json, AgentJsonContext.Default.AgentConfig) : null;

    public void SaveConfig(AgentConfig config) =>
        AtomicFile.Write(ConfigPath, JsonSerializer.SerializeToUtf8Bytes(config, AgentJsonContext.Default.AgentConfig));

    /// <summary>
    /// What enrollment leaves behind: <c>config.json</c>, then — unless a state is already there, which enrolling again
    /// keeps — the initial applied state (<see cref="AppliedState.Initial"/>). From here on a missing <c>state.bin</c>
    /// means a damaged store, and <c>verify</c> answers it with a store error instead of "no code required".
    /// </summary>
    public void SaveConfigAndInitialState(AgentConfig config, DateTimeOffset enrolledAt)
    {
        SaveConfig(config);
        if (StateStamp() is null)
        {
            Save(AppliedState.Initial(enrolledAt));
        }
    }

    public byte[] Protect(ReadOnlySpan<byte> plaintext, string purpose)
    {
        var key = StorageKey();
        try
        {
            var output = new byte[NonceSize + TagSize + plaintext.Length];
            RandomNumberGenerator.Fill(output.AsSpan(0, NonceSize));
            using var aes = new AesGcm(key, TagSize);
            aes.Encrypt(output.AsSpan(0, NonceSize), plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(purpose));
            return output;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    public byte[] Unprotect(ReadOnlySpan<byte> data, string purpose)
    {
        if (data.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("The protected data is truncated.");
        }

        var key = StorageKey();
        try
        {
            var plaintext = new byte[data.Length - NonceSize - TagSize];
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(data[..NonceSize], data[(NonceSize + TagSize)..], data.Slice(NonceSize, TagSize), plaintext, Encoding.UTF8.GetBytes(purpose));
            return plaintext;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    public AppliedState? Load()
    {
        if (AtomicFile.ReadOrNull(StatePath) is not { } sealedState)
        {
            return null;
        }

        var json = Unprotect(sealedState, "fleetmfa-agent/state/v1");
        try
        {
            return JsonSerializer.Deserialize(json, AgentJsonContext.Default.AppliedState);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
        }
    }

    /// <summary>Which <c>state.bin</c> is on disk now (it is only replaced by rename), or <c>null</c> when there is none.</summary>
    public FileStamp? StateStamp() => FileStamp.Of(StatePath);

    public void Save(AppliedState state)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(state, AgentJsonContext.Default.AppliedState);
        try
        {
            AtomicFile.Write(StatePath, Protect(json, "fleetmfa-agent/state/v1"));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
        }
    }

    /// <summary>Runs <paramref name="update"/> on the ledger under the store lock and saves it, so concurrent verifications serialize.</summary>
    public T UpdateLedger<T>(Func<VerifyLedger, T> update)
    {
        ArgumentNullException.ThrowIfNull(update);
        using var _ = StoreLock.Acquire(LockPath, LockWait);
        return UpdateLedgerUnlocked(update);
    }

    /// <summary>
    /// Runs <paramref name="update"/> on the ledger, saves it and appends the audit event <paramref name="audit"/> makes of
    /// the result, all under one hold of the store lock: one decision waits for the lock once.
    /// </summary>
    public T UpdateLedgerAndAppendAudit<T>(Func<VerifyLedger, T> update, Func<T, AuditEvent> audit)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(audit);
        using var _ = StoreLock.Acquire(LockPath, LockWait);
        var result = UpdateLedgerUnlocked(update);
        AppendAuditUnlocked(audit(result));
        return result;
    }

    /// <summary>Appends an audit event (one JSON line, flushed) under the store lock.</summary>
    public void AppendAudit(AuditEvent auditEvent)
    {
        using var _ = StoreLock.Acquire(LockPath, LockWait);
        AppendAuditUnlocked(auditEvent);
    }

    private T UpdateLedgerUnlocked<T>(Func<VerifyLedger, T> update)
    {
        var ledger = AtomicFile.ReadOrNull(LedgerPath) is { } json
            ? JsonSerializer.Deserialize(json, AgentJsonContext.Default.VerifyLedger) ?? new VerifyLedger()
            : new VerifyLedger();
        var result = update(ledger);
        AtomicFile.Write(LedgerPath, JsonSerializer.SerializeToUtf8Bytes(ledger, AgentJsonContext.Default.VerifyLedger));
        return result;
    }

    private void AppendAuditUnlocked(AuditEvent auditEvent)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(auditEvent, AgentJsonContext.Default.AuditEvent);
        var options = AtomicFile.CreateOptions(FileMode.OpenOrCreate);
        options.Access = FileAccess.ReadWrite;
        using var stream = new FileStream(AuditPath, options);
        if (stream.Length > 0)
        {
            // A crash mid-append leaves a line without its newline: end it, or this event would be glued onto it and lost.
            stream.Seek(-1, SeekOrigin.End);
            if (stream.ReadByte() != '\n')
            {
                stream.WriteByte((byte)'\n');
            }
        }

        stream.Seek(0, SeekOrigin.End);
        stream.Write(line);
        stream.WriteByte((byte)'\n');
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Up to <paramref name="max"/> queued audit events, oldest first. A torn last line (crash mid-append) is skipped.</summary>
    public IReadOnlyList<AuditEvent> PeekAudit(int max)
    {
        using var _ = StoreLock.Acquire(LockPath, LockWait);
        return ReadAuditUnlocked().Take(max).ToList();
    }

    /// <summary>Drops the events with these ids from the queue (after the broker acknowledged them).</summary>
    public void RemoveAudit(IReadOnlySet<string> uploadedIds)
    {
        ArgumentNullException.ThrowIfNull(uploadedIds);
        using var _ = StoreLock.Acquire(LockPath, LockWait);
        var remaining = ReadAuditUnlocked().Where(e => !uploadedIds.Contains(e.Id)).ToList();
        using var buffer = new MemoryStream();
        foreach (var e in remaining)
        {
            JsonSerializer.Serialize(buffer, e, AgentJsonContext.Default.AuditEvent);
            buffer.WriteByte((byte)'\n');
        }

        AtomicFile.Write(AuditPath, buffer.ToArray());
    }

    private List<AuditEvent> ReadAuditUnlocked()
    {
        var events = new List<AuditEvent>();
        if (!File.Exists(AuditPath))
        {
            return events;
        }

        foreach (var line in File.ReadLines(AuditPath))
        {
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                if (JsonSerializer.Deserialize(line, AgentJsonContext.Default.AuditEvent) is { } e)
                {
                    events.Add(e);
                }
            }
            catch (JsonException)
            {
                // A line torn by a crash: nothing to recover from it.
            }
        }

        return events;
    }

    private byte[] StorageKey() =>
        AtomicFile.ReadOrNull(StorageKeyPath) is { Length: 32 } key
            ? key
            : throw new InvalidOperationException($"The storage key {StorageKeyPath} is missing or damaged.");

    /// <summary>Creates a key file exactly once; a concurrent creator's file wins.</summary>
    private static void CreateOnce(string path, ReadOnlySpan<byte> content)
    {
        var temp = $"{path}.{Environment.ProcessId}.new";
        try
        {
            using (var stream = new FileStream(temp, AtomicFile.CreateOptions(FileMode.Create)))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first; theirs is the key.
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
