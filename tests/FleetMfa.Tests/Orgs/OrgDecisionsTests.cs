using System.Text.Json;
using FleetMfa.Grains;
using FleetMfa.Grains.Orgs;

namespace FleetMfa.Tests.Orgs;

/// <summary>
/// <see cref="OrgDecisions"/> and <see cref="OrgViews"/>, without a cluster: each command's new state and answer, table
/// by table, and that a refusal or a decision with nothing to store leaves the state as it was. The invariants over any
/// sequence of commands are in <see cref="OrgDecisionsPropertyTests"/>.
/// </summary>
public sealed class OrgDecisionsTests
{
    internal static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Hash = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];

    /// <summary>An org created at <see cref="Now"/>: TOTP off, policy version 1, every shard done (nothing to fan out).</summary>
    internal static OrgState Org()
    {
        var state = new OrgState();
        OrgDecisions.CreateOrRename(state, "Acme", Now);
        return state;
    }

    internal static string Json(OrgState state) => JsonSerializer.Serialize(state);

    internal static ApiKeyRecord Key(string keyId, TimeSpan? lifetime = null, int? maxUses = null) =>
        OrgDecisions.NewKey(keyId, Hash, $"key {keyId}", lifetime, maxUses, Now);

    [Fact]
    public void Creating_an_org_starts_policy_version_1_and_renaming_it_keeps_its_creation_and_policy()
    {
        var state = new OrgState();

        Assert.True(OrgDecisions.CreateOrRename(state, "  Acme Corp ", Now));
        Assert.Equal((true, "Acme Corp", Now, 1L, false, true), (state.Created, state.Name, state.CreatedAt, state.PolicyVersion, state.TotpEnabled, OrgDecisions.IsFannedOut(state)));

        OrgDecisions.SwitchTotp(state, true);
        Assert.True(OrgDecisions.CreateOrRename(state, "Acme Corporation", Now.AddHours(1)));
        Assert.Equal(("Acme Corporation", Now, 2L, true), (state.Name, state.CreatedAt, state.PolicyVersion, state.TotpEnabled));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Acme\nCorp")]
    [InlineData(null)]
    public void A_blank_or_control_character_name_is_refused_and_changes_nothing(string? name)
    {
        foreach (var state in new[] { new OrgState(), Org() })
        {
            var before = Json(state);

            Assert.Equal(ErrorCodes.Validation, Assert.Throws<FleetMfaException>(() => OrgDecisions.CreateOrRename(state, name!, Now)).Code);
            Assert.Equal(ErrorCodes.Validation, Assert.Throws<FleetMfaException>(() => OrgDecisions.Update(state, new OrgSettingsPatch(name ?? "", null))).Code);
            Assert.Equal(before, Json(state));
        }
    }

    [Fact]
    public void A_name_of_201_characters_is_refused_and_one_of_200_is_taken()
    {
        var state = Org();

        Assert.Throws<FleetMfaException>(() => OrgDecisions.Update(state, new OrgSettingsPatch(new string('a', 201), null)));
        Assert.True(OrgDecisions.Update(state, new OrgSettingsPatch(new string('a', 200), null)));
        Assert.Equal(200, state.Name.Length);
    }

    [Theory]
    [InlineData(4, false)]
    [InlineData(5, true)]
    [InlineData(60 * 24 * 90, true)]
    [InlineData(60 * 24 * 90 + 1, false)]
    public void The_enrollment_period_is_taken_between_5_minutes_and_90_days(int minutes, bool taken)
    {
        var state = Org();
        var before = Json(state);
        var patch = new OrgSettingsPatch(null, TimeSpan.FromMinutes(minutes));

        if (taken)
        {
            Assert.True(OrgDecisions.Update(state, patch));
            Assert.Equal((TimeSpan.FromMinutes(minutes), "Acme"), (state.EnrollmentPeriod, state.Name));
        }
        else
        {
            Assert.Equal(ErrorCodes.Validation, Assert.Throws<FleetMfaException>(() => OrgDecisions.Update(state, patch)).Code);
            Assert.Equal(before, Json(state));
        }
    }

    [Fact]
    public void A_patch_without_a_period_keeps_the_period_and_one_without_a_name_keeps_the_name()
    {
        var state = Org();
        OrgDecisions.Update(state, new OrgSettingsPatch(null, TimeSpan.FromDays(3)));

        OrgDecisions.Update(state, new OrgSettingsPatch("Renamed", null));

        Assert.Equal(("Renamed", TimeSpan.FromDays(3)), (state.Name, state.EnrollmentPeriod));
    }

    /// <summary>The switch by where the org stands: TOTP on or off, the last policy confirmed by every shard or by shard 0 only.</summary>
    [Theory]
    [InlineData(false, true, true, true, true)]
    [InlineData(false, true, false, false, false)]
    [InlineData(true, false, true, false, true)]
    [InlineData(true, false, false, true, true)]
    [InlineData(true, true, true, false, false)]
    [InlineData(true, true, false, true, true)]
    public void The_switch_moves_the_policy_on_only_when_it_flips_and_arms_the_fan_out_whenever_shards_are_left(
        bool totpOn, bool fannedOut, bool enabled, bool switches, bool leavesShardsToTell)
    {
        var state = Org();
        (state.TotpEnabled, state.PolicyVersion, state.PolicyFannedOutShards) = (totpOn, 4, fannedOut ? ulong.MaxValue : 1);
        var before = Json(state);

        Assert.Equal(leavesShardsToTell, OrgDecisions.SwitchLeavesShardsToTell(state, enabled));
        Assert.Equal(switches, OrgDecisions.SwitchTotp(state, enabled));

        if (switches)
        {
            Assert.Equal((enabled, 5L, 0UL), (state.TotpEnabled, state.PolicyVersion, state.PolicyFannedOutShards));
            Assert.Equal(Enumerable.Range(0, GrainKeys.DeviceIndexShards), OrgDecisions.PendingShards(state));
        }
        else
        {
            Assert.Equal(before, Json(state));
        }
    }

    [Theory]
    [InlineData(0, 0, false, true)]
    [InlineData(63, 0, false, true)]
    [InlineData(-1, 0, false, false)]
    [InlineData(64, 0, false, false)]
    [InlineData(0, -1, false, false)]
    [InlineData(0, 1, false, false)]
    [InlineData(7, 0, true, false)]
    public void A_shard_s_confirmation_counts_only_for_the_current_version_once(int shard, int versionOffset, bool confirmedAlready, bool taken)
    {
        var state = Org();
        OrgDecisions.SwitchTotp(state, true);
        if (confirmedAlready)
        {
            OrgDecisions.ConfirmFanOut(state, shard, state.PolicyVersion);
        }

        var before = Json(state);

        Assert.Equal(taken, OrgDecisions.ConfirmFanOut(state, shard, state.PolicyVersion + versionOffset));

        if (taken)
        {
            Assert.Equal(1UL << shard, state.PolicyFannedOutShards);
            Assert.DoesNotContain(shard, OrgDecisions.PendingShards(state));
        }
        else
        {
            Assert.Equal(before, Json(state));
        }
    }

    [Fact]
    public void The_fan_out_is_done_with_the_last_shard_s_confirmation_and_not_before()
    {
        var state = Org();
        OrgDecisions.SwitchTotp(state, true);
        var shards = Enumerable.Range(0, GrainKeys.DeviceIndexShards).Reverse().ToList();

        foreach (var shard in shards)
        {
            Assert.False(OrgDecisions.IsFannedOut(state));
            Assert.True(OrgDecisions.ConfirmFanOut(state, shard, state.PolicyVersion));
        }

        Assert.True(OrgDecisions.IsFannedOut(state));
        Assert.Empty(OrgDecisions.PendingShards(state));
        Assert.Equal(new PolicyFanOut(2, 64, 64), OrgViews.Settings("acme", state).PolicyFanOut);
    }

    [Fact]
    public void A_switch_back_before_the_fan_out_finished_starts_over_and_old_confirmations_do_not_count()
    {
        var state = Org();
        OrgDecisions.SwitchTotp(state, true);
        OrgDecisions.ConfirmFanOut(state, 3, 2);

        OrgDecisions.SwitchTotp(state, false);

        Assert.Equal((3L, 0UL), (state.PolicyVersion, state.PolicyFannedOutShards));
        Assert.False(OrgDecisions.ConfirmFanOut(state, 4, 2));
        Assert.True(OrgDecisions.ConfirmFanOut(state, 3, 3));
    }

    [Fact]
    public void A_rollout_goes_first_once_and_the_list_keeps_the_50_newest()
    {
        var state = Org();
        for (var i = 0; i < 60; i++)
        {
            OrgDecisions.AddRollout(state, $"r-{i}");
        }

        OrgDecisions.AddRollout(state, "r-30");

        Assert.Equal(OrgDecisions.MaxRecentRollouts, state.RecentRollouts.Count);
        Assert.Equal(("r-30", "r-59", "r-58"), (state.RecentRollouts[0], state.RecentRollouts[1], state.RecentRollouts[2]));
        Assert.Equal(state.RecentRollouts.Count, state.RecentRollouts.Distinct().Count());
        Assert.Equal("r-10", state.RecentRollouts[^1]);
        Assert.DoesNotContain("r-9", state.RecentRollouts);
    }

    [Theory]
    [InlineData("Bad Id")]
    [InlineData("")]
    [InlineData("-r")]
    public void A_rollout_id_that_is_not_a_slug_is_refused(string rolloutId)
    {
        var state = Org();

        Assert.Equal(ErrorCodes.Validation, Assert.Throws<FleetMfaException>(() => OrgDecisions.AddRollout(state, rolloutId)).Code);
        Assert.Empty(state.RecentRollouts);
    }

    [Theory]
    [InlineData(null, null, true)]
    [InlineData(0.99, null, false)]
    [InlineData(1.0, null, true)]
    [InlineData(87_600.0, null, true)]
    [InlineData(87_600.01, null, false)]
    [InlineData(null, 0, false)]
    [InlineData(null, 1, true)]
    [InlineData(null, 100_000, true)]
    [InlineData(null, 100_001, false)]
    public void A_new_key_s_lifetime_is_an_hour_to_ten_years_and_its_use_limit_1_to_100000(double? hours, int? maxUses, bool taken)
    {
        TimeSpan? lifetime = hours is { } h ? TimeSpan.FromHours(h) : null;

        if (taken)
        {
            var key = OrgDecisions.NewKey("0123456789abcdef", Hash, " laptops ", lifetime, maxUses, Now);
            Assert.Equal(("0123456789abcdef", "laptops", Now, Now + lifetime, maxUses, 0), (key.KeyId, key.Name, key.CreatedAt, key.ExpiresAt, key.MaxUses, key.Uses));
        }
        else
        {
            Assert.Equal(ErrorCodes.Validation, Assert.Throws<FleetMfaException>(() => OrgDecisions.NewKey("0123456789abcdef", Hash, "laptops", lifetime, maxUses, Now)).Code);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_org_holds_at_most_100_keys_of_each_kind_and_the_101st_changes_nothing(bool connect)
    {
        var state = Org();
        Func<OrgState, ApiKeyRecord, bool> add = connect ? OrgDecisions.AddConnectKey : OrgDecisions.AddApiKey;
        Func<OrgState, ApiKeyRecord, bool> addOther = connect ? OrgDecisions.AddApiKey : OrgDecisions.AddConnectKey;
        for (var i = 0; i < OrgDecisions.MaxApiKeys; i++)
        {
            Assert.True(add(state, Key($"{i:x16}")));
        }

        var before = Json(state);

        var refusal = Assert.Throws<FleetMfaException>(() => add(state, Key("ffffffffffffffff")));

        Assert.Equal(ErrorCodes.Conflict, refusal.Code);
        Assert.Contains(connect ? "connect keys" : "operator keys", refusal.Message, StringComparison.Ordinal);
        Assert.Equal(before, Json(state));
        Assert.True(addOther(state, Key("ffffffffffffffff")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Revoking_removes_only_the_key_of_its_kind_and_an_unknown_one_changes_nothing(bool connect)
    {
        var state = Org();
        OrgDecisions.AddApiKey(state, Key("00000000000000aa"));
        OrgDecisions.AddConnectKey(state, Key("00000000000000aa"));
        Func<OrgState, string, bool> revoke = connect ? OrgDecisions.RevokeConnectKey : OrgDecisions.RevokeApiKey;

        Assert.False(revoke(state, "00000000000000bb"));
        Assert.True(revoke(state, "00000000000000aa"));
        var before = Json(state);
        Assert.False(revoke(state, "00000000000000aa"));

        Assert.Equal(before, Json(state));
        Assert.Equal((connect ? 1 : 0, connect ? 0 : 1), (state.ApiKeys.Count, state.ConnectKeys.Count));
    }

    /// <summary>A key with a one-hour lifetime and a limit of 2 uses, by time from creation and uses spent.</summary>
    [Theory]
    [InlineData(0, 0, true)]
    [InlineData(3_599, 1, true)]
    [InlineData(3_600, 0, false)]
    [InlineData(0, 2, false)]
    public void A_key_opens_while_it_has_time_and_uses_left(int seconds, int uses, bool opens)
    {
        var key = Key("00000000000000aa", TimeSpan.FromHours(1), maxUses: 2);
        key.Uses = uses;
        var at = Now.AddSeconds(seconds);

        Assert.Equal(opens, OrgDecisions.FindLive([key], "00000000000000aa", Hash, at) is not null);
        Assert.Null(OrgDecisions.FindLive([key], "00000000000000ab", Hash, at));
        Assert.Null(OrgDecisions.FindLive([key], "00000000000000aa", new byte[32], at));
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData(59, false)]
    [InlineData(60, true)]
    public void A_use_is_stored_at_most_once_a_minute(int? secondsSinceLastUse, bool due)
    {
        var state = Org();
        OrgDecisions.AddApiKey(state, Key("00000000000000aa"));
        var now = Now.AddHours(1);
        var last = secondsSinceLastUse is { } s ? now.AddSeconds(-s) : (DateTimeOffset?)null;
        state.ApiKeys[0].LastUsedAt = last;
        var before = Json(state);

        Assert.Equal(due, OrgDecisions.IsUseDue(state.ApiKeys[0], now));
        Assert.Equal(due, OrgDecisions.RecordApiKeyUse(state, "00000000000000aa", now));

        Assert.Equal(due ? now : last, state.ApiKeys[0].LastUsedAt);
        Assert.True(due || before == Json(state));
        Assert.False(OrgDecisions.RecordApiKeyUse(state, "00000000000000bb", now));
    }

    [Theory]
    [InlineData(null, 30, false, 0)]
    [InlineData(null, 60, true, 0)]
    [InlineData(5, 0, true, 1)]
    [InlineData(5, 30, true, 1)]
    public void A_limited_connect_key_spends_a_use_on_every_enrollment_an_unlimited_one_records_its_use_once_a_minute(
        int? maxUses, int secondsSinceLastUse, bool stored, int usesSpent)
    {
        var state = Org();
        OrgDecisions.AddConnectKey(state, Key("00000000000000aa", maxUses: maxUses));
        var key = state.ConnectKeys[0];
        var now = Now.AddHours(1);
        key.LastUsedAt = now.AddSeconds(-secondsSinceLastUse);

        Assert.Equal(stored, OrgDecisions.IsConnectKeyUseStored(key, now));
        Assert.True(OrgDecisions.RecordConnectKeyUse(state, "00000000000000aa", Hash, now));

        Assert.Equal((usesSpent, now), (key.Uses, key.LastUsedAt));
        Assert.False(OrgDecisions.RecordConnectKeyUse(state, "00000000000000bb", Hash, now));
    }

    /// <summary>What another activation may have stored meanwhile (the state read back after a conflict): the key spent, expired or revoked.</summary>
    [Theory]
    [InlineData("spent")]
    [InlineData("expired")]
    [InlineData("revoked")]
    public void An_enrollment_with_a_connect_key_that_no_longer_opens_spends_and_records_nothing(string meanwhile)
    {
        var state = Org();
        OrgDecisions.AddConnectKey(state, Key("00000000000000aa", TimeSpan.FromHours(1), maxUses: 2));
        var now = Now.AddMinutes(30);
        Action change = meanwhile switch
        {
            "spent" => () => state.ConnectKeys[0].Uses = 2,
            "expired" => () => now = Now.AddHours(1),
            _ => () => OrgDecisions.RevokeConnectKey(state, "00000000000000aa"),
        };
        change();
        var before = Json(state);

        Assert.False(OrgDecisions.RecordConnectKeyUse(state, "00000000000000aa", Hash, now));
        Assert.Equal(before, Json(state));
    }

    [Fact]
    public void The_key_listings_show_expiry_and_the_uses_left_never_below_zero()
    {
        var state = Org();
        OrgDecisions.AddApiKey(state, Key("00000000000000aa", TimeSpan.FromHours(1)));
        OrgDecisions.AddConnectKey(state, Key("00000000000000bb", TimeSpan.FromHours(1), maxUses: 2));
        OrgDecisions.AddConnectKey(state, Key("00000000000000cc"));
        state.ConnectKeys[0].Uses = 3;

        var before = OrgViews.ApiKeys(state, Now.AddMinutes(59)).Single();
        var after = OrgViews.ApiKeys(state, Now.AddHours(1)).Single();
        var connect = OrgViews.ConnectKeys(state, Now.AddHours(1));

        Assert.Equal((false, true), (before.Expired, after.Expired));
        Assert.Equal(new ConnectKeyInfo("00000000000000bb", "key 00000000000000bb", Now, null, Now.AddHours(1), true, 3, 2, 0), connect[0]);
        Assert.Equal(new ConnectKeyInfo("00000000000000cc", "key 00000000000000cc", Now, null, null, false, null, null, null), connect[1]);
    }

    [Fact]
    public void The_settings_and_the_policy_are_what_is_in_the_state()
    {
        var state = Org();
        OrgDecisions.SwitchTotp(state, true);
        OrgDecisions.ConfirmFanOut(state, 9, 2);
        OrgDecisions.ConfirmFanOut(state, 10, 2);

        Assert.Equal(
            new OrgSettings("acme", "Acme", true, TotpParameters.Default, OrgDecisions.DefaultEnrollmentPeriod, Now, new PolicyFanOut(2, 2, 64)),
            OrgViews.Settings("acme", state));
        Assert.Equal(new OrgPolicy(true, TotpParameters.Default, 2), OrgViews.Policy(state));
    }
}
