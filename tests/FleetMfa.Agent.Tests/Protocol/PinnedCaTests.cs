using System.Net.Security;
using FleetMfa.Protocol.Tls;
using static FleetMfa.Agent.Tests.Protocol.TestCertificates;

namespace FleetMfa.Agent.Tests.Protocol;

/// <summary>The pin is the one trust root: the right CA is accepted, and everything else fails closed.</summary>
public sealed class PinnedCaTests
{
    [Fact]
    public void A_server_certificate_issued_by_the_pinned_CA_is_trusted()
    {
        using var ca = Ca();
        using var server = Server(ca);

        Assert.True(PinnedCa.Verify(server, ca, Fingerprint(ca), Now));
        Assert.True(PinnedCa.Validate(server, SslPolicyErrors.RemoteCertificateChainErrors, ca, Fingerprint(ca), Now));
    }

    [Fact]
    public void A_server_certificate_of_another_CA_is_refused_even_when_that_CA_is_offered()
    {
        using var ca = Ca();
        using var other = Ca("Other CA");
        using var server = Server(other);

        Assert.False(PinnedCa.Verify(server, ca, Fingerprint(ca), Now));
        Assert.False(PinnedCa.Verify(server, other, Fingerprint(ca), Now));
    }

    [Fact]
    public void A_self_signed_server_certificate_or_the_CA_itself_as_the_server_is_refused()
    {
        using var ca = Ca();
        using var selfSigned = Ca("localhost", isCa: false);

        Assert.False(PinnedCa.Verify(selfSigned, selfSigned, Fingerprint(selfSigned), Now));
        Assert.False(PinnedCa.Verify(selfSigned, ca, Fingerprint(ca), Now));
        Assert.False(PinnedCa.Verify(ca, ca, Fingerprint(ca), Now));
    }

    [Fact]
    public void An_expired_or_not_yet_valid_server_certificate_or_CA_is_refused()
    {
        using var ca = Ca();
        using var expired = Server(ca, Now.AddDays(-40), Now.AddDays(-10));
        using var future = Server(ca, Now.AddDays(1), Now.AddDays(30));
        using var oldCa = Ca("Old CA", notAfter: Now.AddDays(-1));
        using var underOldCa = Server(oldCa, Now.AddDays(-5), Now.AddDays(-2));

        Assert.False(PinnedCa.Verify(expired, ca, Fingerprint(ca), Now));
        Assert.False(PinnedCa.Verify(future, ca, Fingerprint(ca), Now));
        Assert.False(PinnedCa.Verify(underOldCa, oldCa, Fingerprint(oldCa), Now));
    }

    [Fact]
    public void A_certificate_not_meant_for_servers_or_a_pinned_certificate_that_is_no_CA_is_refused()
    {
        using var ca = Ca();
        using var client = Server(ca, usage: "1.3.6.1.5.5.7.3.2");
        using var notCa = Ca("Not a CA", isCa: false);
        using var underNotCa = Server(notCa);

        Assert.False(PinnedCa.Verify(client, ca, Fingerprint(ca), Now));
        Assert.False(PinnedCa.Verify(underNotCa, notCa, Fingerprint(notCa), Now));
    }

    [Theory]
    [InlineData(SslPolicyErrors.RemoteCertificateNameMismatch)]
    [InlineData(SslPolicyErrors.RemoteCertificateNotAvailable)]
    public void A_name_mismatch_or_no_certificate_is_refused_whatever_the_chain(SslPolicyErrors errors)
    {
        using var ca = Ca();
        using var server = Server(ca);

        Assert.False(PinnedCa.Validate(server, errors, ca, Fingerprint(ca), Now));
        Assert.False(PinnedCa.Validate(null, SslPolicyErrors.None, ca, Fingerprint(ca), Now));
    }

    [Theory]
    [InlineData("")]
    [InlineData("ABCDEF")]
    [InlineData("zz")]
    public void A_malformed_pin_trusts_nothing(string pin)
    {
        using var ca = Ca();
        using var server = Server(ca);

        Assert.False(PinnedCa.Verify(server, ca, pin, Now));
        Assert.False(PinnedCa.Verify(server, ca, Fingerprint(ca).ToUpperInvariant(), Now));
    }
}
