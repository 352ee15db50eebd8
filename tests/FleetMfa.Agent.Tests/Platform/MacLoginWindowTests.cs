using FleetMfa.Agent.Platform;
using FleetMfa.Agent.Platform.Mac;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Tests.Platform;

/// <summary>The macOS decisions (DESIGN §1: login window only; other authorization plug-ins reported) against an in-memory authorization database.</summary>
public sealed class MacLoginWindowTests : IDisposable
{
    /// <summary>macOS 14's <c>security authorizationdb read system.login.console</c>, shortened.</summary>
    private const string ConsoleRight = """
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
        <plist version="1.0">
        <dict>
        	<key>class</key>
        	<string>evaluate-mechanisms</string>
        	<key>comment</key>
        	<string>Login mechanism based rule.  Not for general use, yet.</string>
        	<key>mechanisms</key>
        	<array>
        		<string>builtin:prelogin</string>
        		<string>builtin:policy-banner</string>
        		<string>loginwindow:login</string>
        		<string>builtin:login-begin</string>
        		<string>builtin:reset-password,privileged</string>
        		<string>loginwindow:FDESupport,privileged</string>
        		<string>builtin:forward-login,privileged</string>
        		<string>builtin:auto-login,privileged</string>
        		<string>builtin:authenticate,privileged</string>
        		<string>PKINITMechanism:auth,privileged</string>
        		<string>builtin:login-success</string>
        		<string>loginwindow:success</string>
        		<string>HomeDirMechanism:login,privileged</string>
        		<string>HomeDirMechanism:status</string>
        		<string>MCXMechanism:login</string>
        		<string>CryptoTokenKit:login</string>
        		<string>loginwindow:done</string>
        	</array>
        	<key>modified</key>
        	<real>700000000.0</real>
        	<key>shared</key>
        	<true/>
        	<key>tries</key>
        	<integer>10000</integer>
        	<key>version</key>
        	<integer>10</integer>
        </dict>
        </plist>

        """;

    private readonly TempDirectory _backup = new();
    private readonly InMemoryAuthorizationDb _db = new(ConsoleRight);

    private static PolicyRequest Request(bool mfa, bool loginWindowOnly = true) =>
        new(3, mfa, new OsPolicy(new LinuxPolicy(true, false), new WindowsPolicy(true, true), new MacPolicy(loginWindowOnly)), ["alice"]);

    private MacPlatform Platform() => new(_db, _backup.Path);

    private IReadOnlyList<string> Mechanisms => AuthorizationRightPlist.Mechanisms(_db.Rights[LoginWindowPlan.LoginWindowRight]);

    [Fact]
    public void The_plist_mechanisms_are_read_in_order()
    {
        var mechanisms = AuthorizationRightPlist.Mechanisms(ConsoleRight);

        Assert.Equal(17, mechanisms.Count);
        Assert.Equal("builtin:prelogin", mechanisms[0]);
        Assert.Equal("loginwindow:done", mechanisms[^1]);
    }

    [Fact]
    public void Mfa_on_puts_our_mechanisms_right_after_the_password_check_in_the_login_window_right_only()
    {
        Platform().ApplyPolicy(Request(true));

        var mechanisms = Mechanisms;
        var password = mechanisms.ToList().IndexOf("builtin:authenticate,privileged");
        Assert.Equal(LoginWindowPlan.OurMechanisms, mechanisms.Skip(password + 1).Take(2));
        Assert.Equal(19, mechanisms.Count);
        Assert.Equal([LoginWindowPlan.LoginWindowRight], _db.Written);
    }

    [Fact]
    public void Applying_again_writes_nothing()
    {
        Platform().ApplyPolicy(Request(true));

        Assert.False(Platform().ApplyPolicy(Request(true)).Changed);
        Assert.Single(_db.Written);
    }

    [Fact]
    public void Mfa_off_writes_back_the_right_exactly_as_it_was_and_drops_the_backup()
    {
        Platform().ApplyPolicy(Request(true));

        Assert.True(Platform().ApplyPolicy(Request(false)).Changed);

        Assert.Equal(ConsoleRight, _db.Rights[LoginWindowPlan.LoginWindowRight]);
        Assert.Empty(Directory.EnumerateFiles(_backup.Path));
    }

    [Fact]
    public void Anything_beyond_the_login_window_is_refused()
    {
        Assert.Throws<PolicyException>(() => Platform().ApplyPolicy(Request(true, loginWindowOnly: false)));
        Assert.Empty(_db.Written);
    }

    [Fact]
    public void A_right_without_a_password_mechanism_is_refused() =>
        Assert.Throws<PolicyException>(() => LoginWindowPlan.Mechanisms(["builtin:prelogin", "loginwindow:done"], true, new MacPolicy(true)));

    [Fact]
    public void Other_plug_ins_are_reported_from_the_login_right_and_the_installed_bundles()
    {
        _db.Rights[LoginWindowPlan.LoginWindowRight] = AuthorizationRightPlist.WithMechanisms(
            ConsoleRight, [.. AuthorizationRightPlist.Mechanisms(ConsoleRight), "JamfConnectLogin:LoginUI", "FleetMfa:prompt"]);
        _db.Bundles.AddRange(["JamfConnectLogin", "DuoMacLogon", "FleetMfa"]);

        Assert.Equal(["DuoMacLogon", "JamfConnectLogin"], Platform().AuthPlugins());
    }

    [Fact]
    public void Apple_mechanisms_alone_are_no_conflict() =>
        Assert.Empty(Platform().AuthPlugins());

    public void Dispose() => _backup.Dispose();
}
