using FleetMfa.Grains.Rules;
using FleetMfa.Grains.Security;
using Microsoft.Extensions.Logging;

namespace FleetMfa.Grains.Orgs;

public sealed partial class OrgGrain(
    [PersistentState("org", StorageNames.Fleet)] IPersistentState<OrgState> state,
    ILogger<OrgGrain> logger,
    TimeProvider time) : Grain, IOrgGrain
{
    public static readonly TimeSpan DefaultEnrollmentPeriod = TimeSpan.FromDays(7);
    public static readonly TimeSpan MinEnrollmentPeriod = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxEnrollmentPeriod = TimeSpan.FromDays(90);
    public const int MaxApiKeys = 100;

    private string OrgId => this.GetPrimaryKeyString();

    private OrgState State => state.State;

    public async Task<OrgSettings> CreateOrUpdateAsync(string name)
    {
        name = InputRules.RequireText(name, "name", 200);
        if (!State.Created)
        {
            State.Created = true;
            State.CreatedAt = time.GetUtcNow();
            State.PolicyVersion = 1;
            LogOrgCreated(logger, OrgId);
        }

        State.Name = name;
        await state.WriteStateAsync();
        return Settings();
    }

    public Task<OrgSettings?> GetAsync() => Task.FromResult(State.Created ? Settings() : null);

    public Task<OrgPolicy> GetPolicyAsync()
    {
        EnsureCreated();
        return Task.FromResult(Policy());
    }

    public async Task<OrgSummary> GetSummaryAsync()
    {
        EnsureCreated();
        var counts = await GrainFactory.GetDeviceDirectory(OrgId).CountAsync();
        return new OrgSummary(Settings(), counts);
    }

    public async Task<OrgSettings> UpdateAsync(OrgSettingsPatch patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        EnsureCreated();
        var name = patch.Name is null ? State.Name : InputRules.RequireText(patch.Name, "name", 200);
        if (patch.EnrollmentPeriod is { } period && (period < MinEnrollmentPeriod || period > MaxEnrollmentPeriod))
        {
            throw FleetMfaException.Validation($"enrollment period must be between {MinEnrollmentPeriod.TotalMinutes} minutes and {MaxEnrollmentPeriod.TotalDays} days.");
        }

        State.Name = name;
        State.EnrollmentPeriod = patch.EnrollmentPeriod ?? State.EnrollmentPeriod;
        await state.WriteStateAsync();
        return Settings();
    }

    public async Task<OrgSettings> SetTotpEnabledAsync(bool enabled)
    {
        EnsureCreated();
        if (State.TotpEnabled != enabled)
        {
            State.TotpEnabled = enabled;
            State.PolicyVersion++;
            await state.WriteStateAsync();
            LogTotpSwitched(logger, OrgId, enabled, State.PolicyVersion);
        }

        // Broadcast even when unchanged: a fan-out cut short by a crash completes on the next call.
        await GrainFactory.GetDeviceDirectory(OrgId).BroadcastPolicyAsync(Policy());
        return Settings();
    }

    public async Task<ApiKeyCreated> CreateApiKeyAsync(string name)
    {
        EnsureCreated();
        name = InputRules.RequireText(name, "name", 100);
        if (State.ApiKeys.Count >= MaxApiKeys)
        {
            throw new FleetMfaException(ErrorCodes.Conflict, $"An org holds at most {MaxApiKeys} operator keys.");
        }

        var created = await AddKeyAsync(State.ApiKeys, ApiKeys.OperatorPrefix, name);
        LogApiKeyCreated(logger, OrgId, created.KeyId);
        return created;
    }

    public Task<bool> IsApiKeyValidAsync(string keyId, byte[] secretHash) =>
        Task.FromResult(State.Created && Matches(State.ApiKeys, keyId, secretHash));

    public Task<string?> FindApiKeyNameAsync(string keyId, byte[] secretHash) =>
        Task.FromResult(State.Created && secretHash is not null
            ? State.ApiKeys.Find(k => k.KeyId == keyId && ApiKeys.HashesEqual(k.SecretHash, secretHash))?.Name
            : null);

    public async Task<ApiKeyCreated> CreateConnectKeyAsync(string name)
    {
        EnsureCreated();
        name = InputRules.RequireText(name, "name", 100);
        if (State.ConnectKeys.Count >= MaxApiKeys)
        {
            throw new FleetMfaException(ErrorCodes.Conflict, $"An org holds at most {MaxApiKeys} connect keys; revoke one first.");
        }

        var created = await AddKeyAsync(State.ConnectKeys, ApiKeys.ConnectPrefix, name);
        LogConnectKeyCreated(logger, OrgId, created.KeyId);
        return created;
    }

    public async Task RevokeConnectKeyAsync(string keyId)
    {
        EnsureCreated();
        if (State.ConnectKeys.RemoveAll(k => k.KeyId == keyId) == 0)
        {
            throw FleetMfaException.NotFound($"Connect key '{keyId}' does not exist in org '{OrgId}'.");
        }

        await state.WriteStateAsync();
        LogConnectKeyRevoked(logger, OrgId, keyId);
    }

    public Task<bool> IsConnectKeyValidAsync(string keyId, byte[] secretHash) =>
        Task.FromResult(State.Created && Matches(State.ConnectKeys, keyId, secretHash));

    private static bool Matches(List<ApiKeyRecord> keys, string keyId, byte[] secretHash) =>
        keys.Exists(k => k.KeyId == keyId && ApiKeys.HashesEqual(k.SecretHash, secretHash));

    private async Task<ApiKeyCreated> AddKeyAsync(List<ApiKeyRecord> keys, string prefix, string name)
    {
        var (keyId, secret, key) = ApiKeys.NewOrgKey(prefix, OrgId);
        var record = new ApiKeyRecord { KeyId = keyId, Name = name, SecretHash = ApiKeys.Hash(secret), CreatedAt = time.GetUtcNow() };
        keys.Add(record);
        await state.WriteStateAsync();
        return new ApiKeyCreated(keyId, name, key, record.CreatedAt);
    }

    private void EnsureCreated()
    {
        if (!State.Created)
        {
            throw FleetMfaException.NotFound($"Org '{OrgId}' does not exist.");
        }
    }

    private OrgPolicy Policy() => new(State.TotpEnabled, State.Totp, State.PolicyVersion);

    private OrgSettings Settings() =>
        new(OrgId, State.Name, State.TotpEnabled, State.Totp, State.EnrollmentPeriod, State.CreatedAt);
}
