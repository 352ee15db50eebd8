using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Agent.Verification;

namespace FleetMfa.Agent.Tests.Verification;

/// <summary><c>getpwnam_r</c> through the real system user database (NSS); needs no root.</summary>
public sealed class LibcUserDirectoryTests
{
    [Fact]
    public void This_processs_own_user_resolves_to_its_uid() =>
        Assert.Equal(ProcessUser.EffectiveUid(), LibcUserDirectory.Instance.FindUid(Environment.UserName));

    [Fact]
    public void Root_resolves_to_0() => Assert.Equal(0u, LibcUserDirectory.Instance.FindUid("root"));

    [Theory]
    [InlineData("fleetmfa-no-such-user-4f1c")]
    [InlineData("")]
    [InlineData("root\0x")]
    [InlineData("\ud800")]
    public void A_name_nobody_has_resolves_to_nothing(string name) => Assert.Null(LibcUserDirectory.Instance.FindUid(name));

}
