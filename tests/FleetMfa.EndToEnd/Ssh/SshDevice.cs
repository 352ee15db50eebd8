using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Fleet;

namespace FleetMfa.EndToEnd.Ssh;

/// <summary>
/// A Linux device as the seed describes it, for real: a private sshd, two local accounts, and a real agent (its daemon
/// on the control plane's broker) that manages that sshd's drop-in and PAM service. The device's SSH setting is
/// <see cref="Variant"/>; <see cref="SetUp"/> completed TOTP setup (user <c>alice</c>), <see cref="NotSetUp"/> only
/// started it (user <c>bob</c>); both are bound to the device.
/// </summary>
public sealed class SshDevice : IAsyncDisposable
{
    private readonly List<UnixUser> _extraUsers = [];
    private DateTimeOffset? _lastCodeAt;

    private SshDevice(SshVariant variant, PrivateSshd sshd, UnixUser setUp, UnixUser notSetUp, DeviceAgent agent, ApiClient admin, string orgId)
    {
        Variant = variant;
        Sshd = sshd;
        SetUp = setUp;
        NotSetUp = notSetUp;
        Agent = agent;
        Admin = admin;
        OrgId = orgId;
    }

    public SshVariant Variant { get; }

    public PrivateSshd Sshd { get; }

    public UnixUser SetUp { get; }

    public UnixUser NotSetUp { get; }

    public DeviceAgent Agent { get; }

    public ApiClient Admin { get; }

    public string OrgId { get; }

    public string DeviceId => Agent.DeviceId;

    /// <summary>alice's base32 secret (for oathtool); set by <see cref="EnrollUsersAsync"/>.</summary>
    public string Secret { get; private set; } = "";

    /// <summary>The machine's own PAM service as it was before the agent touched it.</summary>
    public string OriginalPam { get; private set; } = "";

    /// <summary>
    /// A device on <paramref name="silo"/>: a private sshd (<paramref name="includeDropIns"/> and <paramref name="extraConfig"/>
    /// as <see cref="PrivateSshd.StartAsync"/>), two local accounts and an enrolled agent whose daemon runs.
    /// </summary>
    public static async Task<SshDevice> StartAsync(SiloProcess silo, TestWorkspace workspace, SshVariant variant, string name, bool includeDropIns = true, string extraConfig = "")
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(workspace);
        var pamModule = await PamModule.PathAsync(workspace);
        var sshd = await PrivateSshd.StartAsync(workspace, name, includeDropIns, extraConfig);
        UnixUser? setUp = null, notSetUp = null;
        DeviceAgent? agent = null;
        try
        {
            setUp = await UnixUser.CreateAsync(sshd.Directory);
            notSetUp = await UnixUser.CreateAsync(sshd.Directory);
            var admin = silo.Admin;
            var (org, _, connectKey) = await TestOrg.CreateAsync(silo.Api, TestIds.Unique(name));
            agent = DeviceAgent.Create(workspace, $"{name}-host", sshd.AgentSettings(pamModule, AgentExecutable));
            await agent.EnrollAndGoOnlineAsync(silo, org, connectKey);
            var device = new SshDevice(variant, sshd, setUp, notSetUp, agent, admin, org) { OriginalPam = await File.ReadAllTextAsync(sshd.PamServiceFile) };
            (await admin.PatchAsync($"/api/orgs/{org}/devices/{agent.DeviceId}", new
            {
                linux = new { sshPasswordLogin = variant == SshVariant.Password, sshPublicKeyAuth = variant == SshVariant.PublicKey },
            })).Ok();
            return device;
        }
        catch
        {
            await DisposeAllAsync(agent, notSetUp, setUp, sshd);
            throw;
        }
    }

    /// <summary>
    /// The agent binary the PAM module runs: the NativeAOT one deploy/test.sh published (<c>FLEETMFA_TEST_AGENT_AOT</c>),
    /// else the build's apphost.
    /// </summary>
    public static string AgentExecutable =>
        Environment.GetEnvironmentVariable("FLEETMFA_TEST_AGENT_AOT") is { Length: > 0 } aot && File.Exists(aot)
            ? aot
            : Path.Combine(TestPaths.AgentDirectory, "fleetmfa-agent");

    /// <summary>alice completes setup with an oathtool code; bob only starts it. Both are bound under their local account names.</summary>
    public async Task EnrollUsersAsync()
    {
        Secret = await Admin.CreateEnrolledUserAsync(OrgId, "alice");
        await Admin.CreateUserAsync(OrgId, "bob");
        await Admin.StartEnrollmentAsync(OrgId, "bob");
        await Admin.BindAsync(OrgId, DeviceId, "alice", SetUp.Name);
        await Admin.BindAsync(OrgId, DeviceId, "bob", NotSetUp.Name);
    }

    /// <summary>One more local account whose user completed setup and is bound to the device; returns it with its base32 secret.</summary>
    public async Task<(UnixUser User, string Secret)> AddSetUpUserAsync(string userId)
    {
        var user = await UnixUser.CreateAsync(Sshd.Directory);
        _extraUsers.Add(user);
        var secret = await Admin.CreateEnrolledUserAsync(OrgId, userId);
        await Admin.BindAsync(OrgId, DeviceId, userId, user.Name);
        return (user, secret);
    }

    /// <summary>One more local account, bound to no user of the org (a service account, say).</summary>
    public async Task<UnixUser> AddUnboundUserAsync()
    {
        var user = await UnixUser.CreateAsync(Sshd.Directory);
        _extraUsers.Add(user);
        return user;
    }

    /// <summary>The device's detail as the API shows it.</summary>
    public Task<System.Text.Json.Nodes.JsonNode> DetailAsync() => Admin.GetDeviceAsync(OrgId, DeviceId);

    /// <summary>Waits until the device shows <paramref name="status"/> (and, when given, a reason starting with <paramref name="reason"/>); returns its <c>mfa</c> object.</summary>
    public async Task<System.Text.Json.Nodes.JsonNode> WaitForStatusAsync(string status, string? reason = null) =>
        (await Poll.UntilAsync(
            DetailAsync,
            d => (string?)d["mfa"]!["status"] == status && (reason is null || ((string?)d["mfa"]!["reason"])?.StartsWith(reason, StringComparison.Ordinal) == true),
            $"device {OrgId}/{DeviceId} MFA {status}{(reason is null ? "" : $" ({reason}…)")}",
            TimeSpan.FromSeconds(60)))["mfa"]!;

    /// <summary>Asks for MFA on without waiting for the device (which may refuse).</summary>
    public async Task RequestMfaAsync(bool on) =>
        (await Admin.PostAsync($"/api/orgs/{OrgId}/devices/{DeviceId}/mfa/{(on ? "enable" : "disable")}")).Ok();

    /// <summary>The sshd drop-in and the PAM service as they are now (null: no such file).</summary>
    public (string? DropIn, string Pam) Files() =>
        (File.Exists(DropInPath) ? File.ReadAllText(DropInPath) : null, File.ReadAllText(Sshd.PamServiceFile));

    /// <summary>
    /// Makes the agent daemon's atomic writes of <paramref name="path"/> fail (even as root) until the returned
    /// directory is deleted: it stands where the daemon creates its temp file.
    /// </summary>
    public string FailDaemonWritesOf(string path)
    {
        var blocker = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.fleetmfa.{Agent.Daemon!.Id}.tmp");
        Directory.CreateDirectory(blocker);
        return blocker;
    }

    /// <summary>MFA on; returns once the agent holds alice's secret (when she is bound) and sshd re-read its configuration.</summary>
    public async Task EnableMfaAsync()
    {
        var listens = Sshd.ListenCount;
        await Admin.EnableMfaAsync(OrgId, DeviceId);
        await Admin.WaitForMfaStatusAsync(OrgId, DeviceId, "enabled");
        if (Secret.Length > 0)
        {
            await Admin.WaitForOnDeviceAsync(OrgId, DeviceId, "alice", "active");
            await Admin.WaitForMfaStatusAsync(OrgId, DeviceId, "enabled");
        }

        await Sshd.WaitUntilListeningAsync(listens + 1);
    }

    /// <summary>MFA off; returns once the agent applied it and sshd re-read its configuration.</summary>
    public async Task DisableMfaAsync()
    {
        var listens = Sshd.ListenCount;
        (await Admin.PostAsync($"/api/orgs/{OrgId}/devices/{DeviceId}/mfa/disable")).Ok();
        await Admin.WaitForMfaStatusAsync(OrgId, DeviceId, "disabled");
        await Sshd.WaitUntilListeningAsync(listens + 1);
    }

    /// <summary>What the variant's SSH client offers: the password, or the key (never the other).</summary>
    public SshCredentials Credentials(UnixUser user, string? code) =>
        Variant == SshVariant.Password ? new(user.Name, user.Password, null, code) : new(user.Name, null, user.PrivateKeyPath, code);

    /// <summary>The other method alone (key for the password variant, password for the key variant): never enough while MFA is on.</summary>
    public SshCredentials OtherMethod(UnixUser user, string? code) =>
        Variant == SshVariant.Password ? new(user.Name, null, user.PrivateKeyPath, code) : new(user.Name, user.Password, null, code);

    public Task<SshLoginResult> LoginAsync(SshCredentials credentials) => SshLogin.TryAsync(Sshd, credentials);

    /// <summary>
    /// oathtool's code for a time step after the last one handed out (each step is accepted once): now's, or the next
    /// step's, which the ±1 drift window still accepts.
    /// </summary>
    public string FreshCode()
    {
        var at = DateTimeOffset.UtcNow;
        if (_lastCodeAt is { } last && at.ToUnixTimeSeconds() / 30 <= last.ToUnixTimeSeconds() / 30)
        {
            at = last.AddSeconds(30);
        }

        _lastCodeAt = at;
        return Oathtool.Totp(Secret, at);
    }

    /// <summary>The code handed out last (a replay).</summary>
    public string LastCode() => Oathtool.Totp(Secret, _lastCodeAt ?? throw new InvalidOperationException("No code handed out yet."));

    public string DropInPath => Path.Combine(Sshd.ConfigDirectory, "00-fleetmfa.conf");

    public ValueTask DisposeAsync() => DisposeAllAsync([Agent, NotSetUp, SetUp, .. _extraUsers, Sshd]);

    private static async ValueTask DisposeAllAsync(params IAsyncDisposable?[] parts)
    {
        foreach (var part in parts)
        {
            if (part is not null)
            {
                await part.DisposeAsync();
            }
        }
    }
}
