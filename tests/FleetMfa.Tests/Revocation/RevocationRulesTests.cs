using FleetMfa.Grains;
using FleetMfa.Grains.Revocation;

namespace FleetMfa.Tests.Revocation;

/// <summary><see cref="RevocationRules"/>: what a revocation lists, when an entry goes, and when the list's number grows.</summary>
public sealed class RevocationRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 8, 12, 0, 0, TimeSpan.Zero);

    private static DeviceCertificate Certificate(string serial, TimeSpan validFor) => new(serial, [1, 2, 3], Now + validFor);

    [Fact]
    public void A_revocation_lists_each_unexpired_certificate_once_with_the_device_and_the_time()
    {
        var state = new CertificateRevocationState();

        Assert.True(RevocationRules.Revoke(state, "acme/web-01", [Certificate("0A1B", TimeSpan.FromDays(30)), Certificate("0C2D", TimeSpan.FromDays(3))], Now));

        Assert.Equal(
            [new RevokedCertificate("0A1B", "acme/web-01", Now.AddDays(30), Now), new RevokedCertificate("0C2D", "acme/web-01", Now.AddDays(3), Now)],
            state.Certificates);
        Assert.Equal(1, state.Number);
    }

    [Theory]
    [InlineData("0A1B")]
    [InlineData("0a1b")]
    public void Revoking_a_listed_certificate_again_changes_nothing(string serial)
    {
        var state = new CertificateRevocationState();
        RevocationRules.Revoke(state, "acme/web-01", [Certificate("0A1B", TimeSpan.FromDays(30))], Now);

        Assert.False(RevocationRules.Revoke(state, "acme/web-01", [Certificate(serial, TimeSpan.FromDays(30))], Now.AddHours(1)));
        Assert.False(RevocationRules.Revoke(state, "acme/web-01", [], Now.AddHours(1)));

        Assert.Equal(Now, Assert.Single(state.Certificates).RevokedAt);
        Assert.Equal(1, state.Number);
    }

    [Theory]
    [InlineData(-2 * 24, false)] // expired two days ago: no broker takes it, nothing to list
    [InlineData(-23, true)] // expired, but within the margin a broker with a slow clock still sees it valid
    [InlineData(1, true)]
    public void A_certificate_is_listed_unless_it_expired_more_than_the_margin_ago(int expiresInHours, bool listed)
    {
        var state = new CertificateRevocationState();

        Assert.Equal(listed, RevocationRules.Revoke(state, "acme/web-01", [Certificate("0A", TimeSpan.FromHours(expiresInHours))], Now));
        Assert.Equal(listed ? 1 : 0, state.Certificates.Count);
    }

    [Fact]
    public void Pruning_drops_only_entries_past_expiry_and_margin_and_counts_a_change()
    {
        var state = new CertificateRevocationState();
        RevocationRules.Revoke(state, "acme/web-01", [Certificate("01", TimeSpan.FromDays(1)), Certificate("02", TimeSpan.FromDays(10))], Now);

        Assert.False(RevocationRules.Prune(state, Now.AddDays(1) + RevocationRules.ExpiryMargin - TimeSpan.FromTicks(1)));
        Assert.Equal(1, state.Number);

        Assert.True(RevocationRules.Prune(state, Now.AddDays(1) + RevocationRules.ExpiryMargin));
        Assert.Equal("02", Assert.Single(state.Certificates).Serial);
        Assert.Equal(2, state.Number);
    }

    [Fact]
    public void The_list_handed_over_is_a_copy_with_the_number_and_time()
    {
        var state = new CertificateRevocationState();
        RevocationRules.Revoke(state, "acme/web-01", [Certificate("01", TimeSpan.FromDays(1))], Now);

        var list = RevocationRules.List(state, Now.AddMinutes(5));
        RevocationRules.Revoke(state, "acme/web-02", [Certificate("02", TimeSpan.FromDays(1))], Now);

        Assert.Equal((1L, Now.AddMinutes(5)), (list.Number, list.IssuedAt));
        Assert.Equal("01", Assert.Single(list.Certificates).Serial);
    }
}
