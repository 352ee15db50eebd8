using System.Globalization;
using FleetMfa.Agent.Cli;
using FleetMfa.Agent.Store;
using FleetMfa.Agent.Tests.Infrastructure;

namespace FleetMfa.Agent.Tests.Cli;

/// <summary>
/// <c>verify --user NAME --check-required</c>, the question the PAM module asks before it prompts: exit 4 when the
/// user must give a code, 0 when not (MFA off, or the user has not completed setup), without reading stdin or
/// recording a decision.
/// </summary>
public sealed class CheckRequiredTests : IDisposable
{
    private readonly TestStore _store = new();

    public CheckRequiredTests() => _store.Enroll();

    private Task<AgentResult> CheckAsync(string user) =>
        AgentProcess.RunAsync(null, "verify", "--user", user, "--check-required", "--data-dir", _store.DataDirectory);

    [Fact]
    public async Task A_user_the_device_holds_a_secret_for_while_MFA_is_on_must_give_a_code()
    {
        _store.SaveState(2, true, new LocalUser("alice", "alice", 1, TestTotp.Secret("alice")));

        var result = await CheckAsync("alice");

        Assert.True(result.ExitCode == ExitCodes.CodeRequired, result.ToString());
        Assert.Empty(_store.Store.PeekAudit(10));
    }

    [Fact]
    public async Task A_user_without_setup_is_not_asked()
    {
        _store.SaveState(2, true, new LocalUser("alice", "alice", 1, TestTotp.Secret("alice")));

        Assert.Equal(ExitCodes.Ok, (await CheckAsync("bob")).ExitCode);
    }

    [Fact]
    public async Task Nobody_is_asked_while_MFA_is_off()
    {
        _store.SaveState(3, false, new LocalUser("alice", "alice", 1, TestTotp.Secret("alice")));

        Assert.Equal(ExitCodes.Ok, (await CheckAsync("alice")).ExitCode);
    }

    [Fact]
    public async Task Nobody_is_asked_before_a_first_desired_state() =>
        Assert.Equal(ExitCodes.Ok, (await CheckAsync("alice")).ExitCode);

    [Fact]
    public async Task An_enrolled_store_without_state_bin_is_a_store_error_not_a_no()
    {
        _store.SaveState(2, true, new LocalUser("alice", "alice", 1, TestTotp.Secret("alice")));
        _store.DeleteState();

        var result = await CheckAsync("alice");

        Assert.True(result.ExitCode == ExitCodes.UsageOrStoreError, result.ToString());
        Assert.Contains("state.bin is missing", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageOrStoreError, (await CheckAsync("bob")).ExitCode);
    }

    [Fact]
    public async Task A_state_that_does_not_decrypt_is_a_store_error_not_a_no()
    {
        _store.SaveState(2, true, new LocalUser("alice", "alice", 1, TestTotp.Secret("alice")));
        var bytes = File.ReadAllBytes(_store.PathOf("state.bin"));
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(_store.PathOf("state.bin"), bytes);

        Assert.Equal(ExitCodes.UsageOrStoreError, (await CheckAsync("bob")).ExitCode);
    }

    [Fact]
    public async Task A_directory_that_was_never_enrolled_is_a_store_error()
    {
        using var empty = new TestStore();

        var result = await AgentProcess.RunAsync(null, "verify", "--user", "alice", "--check-required", "--data-dir", empty.DataDirectory);

        Assert.True(result.ExitCode == ExitCodes.UsageOrStoreError, result.ToString());
    }

    [Fact]
    public async Task A_login_whose_uid_a_bound_users_name_resolves_to_must_give_a_code()
    {
        // The bound user is this process's own account, so the system's real user database (NSS) answers for its uid.
        _store.SaveState(2, true, new LocalUser("me", Environment.UserName, 1, TestTotp.Secret("me")));
        var uid = ProcessUser.EffectiveUid().ToString(CultureInfo.InvariantCulture);

        var result = await AgentProcess.RunAsync(null, "verify", "--user", "fleetmfa-alias-of-me", "--uid", uid, "--check-required", "--data-dir", _store.DataDirectory);

        Assert.True(result.ExitCode == ExitCodes.CodeRequired, result.ToString());
        Assert.Equal(ExitCodes.Ok, (await CheckAsync("fleetmfa-alias-of-me")).ExitCode);
    }

    [Fact]
    public async Task A_login_whose_uid_no_bound_user_resolves_to_is_not_asked()
    {
        _store.SaveState(2, true, new LocalUser("me", Environment.UserName, 1, TestTotp.Secret("me")));

        var result = await AgentProcess.RunAsync(null, "verify", "--user", "fleetmfa-someone-else", "--uid", "4294967294", "--check-required", "--data-dir", _store.DataDirectory);

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
    }

    public void Dispose() => _store.Dispose();
}
