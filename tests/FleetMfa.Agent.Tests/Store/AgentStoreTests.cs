using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using FleetMfa.Agent.Enrollment;
using FleetMfa.Agent.Store;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Tests.Store;

/// <summary>The data directory of DESIGN §5: owner-only, encrypted at rest, atomic, and locked around the ledger and audit queue.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class AgentStoreTests : IDisposable
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static readonly DateTimeOffset _at = new(2026, 1, 5, 9, 0, 10, TimeSpan.Zero);
    private static readonly byte[] _aliceSecret = TestTotp.Secret("alice");
    private static readonly byte[] _bobSecret = TestTotp.Secret("bob");

    private readonly TestStore _store = new();

    private AgentStore Store => _store.Store;

    private AppliedState SaveTwoUsers() => _store.SaveState(
        7,
        true,
        new TotpSettings(8, 60, "SHA256", 2),
        new LocalUser("alice", "alice.l", 3, _aliceSecret),
        new LocalUser("bob", "bob", 1, _bobSecret));

    [Fact]
    public void Initialize_creates_an_owner_only_directory_and_storage_key()
    {
        using var root = new TempDirectory();
        var store = new AgentStore(root.Combine("a/b/agent"));

        store.Initialize();

        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(store.DataDirectory));
        var key = Path.Combine(store.DataDirectory, "storage.key");
        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(key));
        Assert.Equal(32, new FileInfo(key).Length);
    }

    [Fact]
    public void Initialize_tightens_an_existing_directory_and_keeps_its_key()
    {
        var key = File.ReadAllBytes(_store.PathOf("storage.key"));
        File.SetUnixFileMode(_store.DataDirectory, OwnerOnlyDirectory | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        Store.Initialize();

        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(_store.DataDirectory));
        Assert.Equal(key, File.ReadAllBytes(_store.PathOf("storage.key")));
    }

    [Fact]
    public void Every_file_the_store_writes_is_owner_only()
    {
        _store.Enroll();
        SaveTwoUsers();
        using (Store.LoadOrCreateIdentity())
        {
        }

        Store.UpdateLedger(ledger => ledger.For("alice.l").Failures.Count);
        Store.AppendAudit(new AuditEvent("e1", _at, AuditOutcome.Accepted, "alice.l", "alice"));

        var files = Directory.GetFiles(_store.DataDirectory).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(["audit.jsonl", "config.json", "identity.key", "ledger.json", "state.bin", "storage.key", "store.lock"], files);
        Assert.All(Directory.GetFiles(_store.DataDirectory), file => Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(file)));
    }

    [Fact]
    public void Applied_state_survives_a_save_and_load()
    {
        var saved = SaveTwoUsers();

        var loaded = new AgentStore(_store.DataDirectory).Load()!;

        Assert.Equal((saved.Version, saved.Mfa, saved.Totp, saved.Policy, saved.AppliedAt), (loaded.Version, loaded.Mfa, loaded.Totp, loaded.Policy, loaded.AppliedAt));
        Assert.Equal(2, loaded.Users.Count);
        Assert.Equal(("alice", "alice.l", 3), (loaded.Users[0].UserId, loaded.Users[0].LocalUsername, loaded.Users[0].SecretVersion));
        Assert.Equal(_aliceSecret, loaded.Users[0].Secret);
        Assert.Equal(_bobSecret, loaded.FindByLocalUsername("bob")!.Secret);
    }

    [Fact]
    public void Load_without_a_saved_state_is_null() => Assert.Null(Store.Load());

    [Fact]
    public void A_second_save_replaces_the_first_and_leaves_no_temp_files()
    {
        SaveTwoUsers();
        _store.SaveState(8, false);

        var loaded = Store.Load()!;

        Assert.Equal((8L, false), (loaded.Version, loaded.Mfa));
        Assert.Empty(loaded.Users);
        Assert.DoesNotContain(Directory.GetFiles(_store.DataDirectory), f => f.EndsWith(".tmp", StringComparison.Ordinal) || f.EndsWith(".new", StringComparison.Ordinal));
    }

    [Fact]
    public void The_state_file_contains_no_form_of_a_secret()
    {
        SaveTwoUsers();

        var onDisk = File.ReadAllBytes(_store.PathOf("state.bin"));

        Assert.All(Encodings.LeakForms(_aliceSecret).Concat(Encodings.LeakForms(_bobSecret)), form => Assert.False(Encodings.Contains(onDisk, form)));
        Assert.False(Encodings.Contains(onDisk, "alice.l"u8), "state.bin is encrypted as a whole, user names included");
    }

    [Fact]
    public void A_corrupted_state_file_fails_to_load_instead_of_reading_garbage()
    {
        SaveTwoUsers();
        var path = _store.PathOf("state.bin");
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        Assert.ThrowsAny<CryptographicException>(() => Store.Load());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(27)]
    [InlineData(40)]
    public void A_truncated_state_file_fails_to_load(int length)
    {
        SaveTwoUsers();
        var path = _store.PathOf("state.bin");
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..length]);

        Assert.ThrowsAny<CryptographicException>(() => Store.Load());
    }

    [Fact]
    public void A_state_file_from_another_store_does_not_load()
    {
        using var other = new TestStore();
        SaveTwoUsers();
        File.Copy(_store.PathOf("state.bin"), other.PathOf("state.bin"));

        Assert.ThrowsAny<CryptographicException>(() => other.Store.Load());
    }

    [Fact]
    public void Protected_data_opens_only_for_the_same_purpose()
    {
        var secret = Encoding.UTF8.GetBytes(TestStore.MqttPassword);
        var protectedData = Store.Protect(secret, Enroller.MqttPasswordPurpose);

        Assert.Equal(secret, Store.Unprotect(protectedData, Enroller.MqttPasswordPurpose));
        Assert.ThrowsAny<CryptographicException>(() => Store.Unprotect(protectedData, "fleetmfa-agent/state/v1"));
    }

    [Fact]
    public void The_config_file_keeps_the_mqtt_password_encrypted()
    {
        _store.Enroll(new VerificationSettings(7, 600));

        var config = new AgentStore(_store.DataDirectory).LoadConfig()!;

        Assert.DoesNotContain(TestStore.MqttPassword, File.ReadAllText(_store.PathOf("config.json")), StringComparison.Ordinal);
        Assert.Equal(TestStore.MqttPassword, Encoding.UTF8.GetString(Store.Unprotect(config.ProtectedMqttPassword, Enroller.MqttPasswordPurpose)));
        Assert.Equal((TestStore.OrgId, TestStore.DeviceId, new VerificationSettings(7, 600)), (config.OrgId, config.DeviceId, config.Verification));
        Assert.True(Store.IsEnrolled);
    }

    [Fact]
    public void The_identity_key_is_created_once_and_persists_across_instances()
    {
        using var first = Store.LoadOrCreateIdentity();
        using var second = new AgentStore(_store.DataDirectory).LoadOrCreateIdentity();

        Assert.Equal(first.ExportSubjectPublicKeyInfo(), second.ExportSubjectPublicKeyInfo());
        Assert.Equal(ECCurve.NamedCurves.nistP256.Oid.Value, second.ExportParameters(false).Curve.Oid.Value);
        Assert.True(File.Exists(_store.PathOf("identity.key")));
    }

    [Fact]
    public void Different_stores_have_different_identities()
    {
        using var other = new TestStore();
        using var mine = Store.LoadOrCreateIdentity();
        using var theirs = other.Store.LoadOrCreateIdentity();

        Assert.NotEqual(mine.ExportSubjectPublicKeyInfo(), theirs.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void Audit_events_queue_in_order_and_leave_once_uploaded()
    {
        var events = Enumerable.Range(1, 5).Select(i => new AuditEvent($"e{i}", _at.AddSeconds(i), AuditOutcome.Rejected, "alice.l", "alice")).ToList();
        events.ForEach(Store.AppendAudit);

        Assert.Equal(events, Store.PeekAudit(100));
        Assert.Equal(events.Take(2), Store.PeekAudit(2));

        Store.RemoveAudit(new HashSet<string> { "e1", "e3" });

        Assert.Equal(["e2", "e4", "e5"], Store.PeekAudit(100).Select(e => e.Id));
        Assert.Equal(["e2", "e4", "e5"], new AgentStore(_store.DataDirectory).PeekAudit(100).Select(e => e.Id));
    }

    [Fact]
    public void An_empty_audit_queue_peeks_empty() => Assert.Empty(Store.PeekAudit(10));

    [Fact]
    public void A_torn_last_audit_line_is_skipped()
    {
        Store.AppendAudit(new AuditEvent("e1", _at, AuditOutcome.Accepted, "alice.l", "alice"));
        Store.AppendAudit(new AuditEvent("e2", _at, AuditOutcome.Rejected, "alice.l", "alice"));
        File.AppendAllText(_store.PathOf("audit.jsonl"), """{"id":"e3","at":"2026-01-05T09:0""");

        Assert.Equal(["e1", "e2"], Store.PeekAudit(100).Select(e => e.Id));
    }

    /// <summary>A crash mid-append leaves a line without its newline; the next append must not be glued onto it.</summary>
    [Fact]
    public void An_event_appended_after_a_torn_line_is_kept()
    {
        Store.AppendAudit(new AuditEvent("e1", _at, AuditOutcome.Accepted, "alice.l", "alice"));
        File.AppendAllText(_store.PathOf("audit.jsonl"), """{"id":"e2","at":"2026-01-05T09:0""");

        Store.AppendAudit(new AuditEvent("e3", _at, AuditOutcome.LockedOut, "alice.l", "alice"));

        Assert.Equal(["e1", "e3"], Store.PeekAudit(100).Select(e => e.Id));
    }

    [Fact]
    public void Ledger_updates_persist_and_return_the_update_result()
    {
        var result = Store.UpdateLedger(ledger =>
        {
            var alice = ledger.For("alice.l");
            alice.SecretVersion = 3;
            alice.LastAcceptedStep = 12345;
            alice.Failures.Add(new FailureStamp("boot-a", 42, _at));
            return "done";
        });

        Assert.Equal("done", result);
        var reloaded = new AgentStore(_store.DataDirectory).UpdateLedger(ledger => ledger.For("alice.l"));
        Assert.Equal((3, 12345L), (reloaded.SecretVersion, reloaded.LastAcceptedStep));
        Assert.Equal([new FailureStamp("boot-a", 42, _at)], reloaded.Failures);
        Assert.Equal(long.MinValue, Store.UpdateLedger(ledger => ledger.For("bob").LastAcceptedStep));
    }

    [Fact]
    public void A_ledger_of_the_previous_version_loads_its_failures_as_wall_clock_stamps_of_an_unknown_boot()
    {
        File.WriteAllText(_store.PathOf("ledger.json"), """{"users":{"alice.l":{"secretVersion":3,"lastAcceptedStep":12345,"failures":["2026-01-05T09:00:10+00:00","2026-01-05T09:00:20+00:00"]}}}""");

        var alice = Store.UpdateLedger(ledger => ledger.For("alice.l"));

        Assert.Equal((3, 12345L), (alice.SecretVersion, alice.LastAcceptedStep));
        Assert.Equal([new FailureStamp(null, 0, _at), new FailureStamp(null, 0, _at.AddSeconds(10))], alice.Failures);
        Assert.Equal(alice.Failures, _store.Ledger("alice.l").Failures);
    }

    [Fact]
    public void A_ledger_with_failures_of_both_shapes_loads()
    {
        File.WriteAllText(_store.PathOf("ledger.json"), """{"users":{"alice.l":{"secretVersion":1,"lastAcceptedStep":1,"failures":["2026-01-05T09:00:10+00:00",{"bootId":"boot-a","monotonicTicks":7,"at":"2026-01-05T09:00:10+00:00"}]}}}""");

        Assert.Equal([new FailureStamp(null, 0, _at), new FailureStamp("boot-a", 7, _at)], _store.Ledger("alice.l").Failures);
    }

    [Fact]
    public void A_ledger_update_and_its_audit_event_happen_under_one_hold_of_the_lock()
    {
        var lockPath = _store.PathOf("store.lock");

        var result = Store.UpdateLedgerAndAppendAudit(
            ledger =>
            {
                Assert.Throws<IOException>(() => StoreLock.Acquire(lockPath, TimeSpan.Zero));
                return ledger.For("alice.l").LastAcceptedStep = 9;
            },
            step =>
            {
                Assert.Throws<IOException>(() => StoreLock.Acquire(lockPath, TimeSpan.Zero));
                return new AuditEvent($"e{step}", _at, AuditOutcome.Accepted, "alice.l", "alice");
            });

        Assert.Equal(9, result);
        Assert.Equal(9, _store.Ledger("alice.l").LastAcceptedStep);
        Assert.Equal(["e9"], Store.PeekAudit(10).Select(e => e.Id));
        using var released = StoreLock.Acquire(lockPath, TimeSpan.Zero);
    }

    [Fact]
    public void Enrollment_writes_the_initial_state_once_and_enrolling_again_keeps_the_applied_one()
    {
        var config = _store.Enroll();
        Assert.Equal((0L, false, 0), (Store.Load()!.Version, Store.Load()!.Mfa, Store.Load()!.Users.Count));
        SaveTwoUsers();

        Store.SaveConfigAndInitialState(config, _at);

        Assert.Equal(7, Store.Load()!.Version);
    }

    [Fact]
    public void A_throwing_ledger_update_changes_nothing()
    {
        Store.UpdateLedger(ledger => ledger.For("alice.l").LastAcceptedStep = 1);

        Assert.Throws<InvalidOperationException>(() => Store.UpdateLedger<int>(ledger =>
        {
            ledger.For("alice.l").LastAcceptedStep = 2;
            throw new InvalidOperationException("boom");
        }));

        Assert.Equal(1, _store.Ledger("alice.l").LastAcceptedStep);
    }

    [Fact]
    public void A_ledger_update_runs_under_the_store_lock_and_releases_it()
    {
        var lockPath = _store.PathOf("store.lock");

        Store.UpdateLedger(ledger => Assert.Throws<IOException>(() => StoreLock.Acquire(lockPath, TimeSpan.Zero)));

        using var released = StoreLock.Acquire(lockPath, TimeSpan.Zero);
    }

    [Fact]
    public void The_store_lock_gives_up_with_an_io_error_while_another_holder_keeps_it()
    {
        using var held = StoreLock.Acquire(_store.PathOf("store.lock"), TimeSpan.Zero);

        Assert.Throws<IOException>(() => StoreLock.Acquire(_store.PathOf("store.lock"), TimeSpan.FromMilliseconds(50)));
    }

    public void Dispose() => _store.Dispose();
}
