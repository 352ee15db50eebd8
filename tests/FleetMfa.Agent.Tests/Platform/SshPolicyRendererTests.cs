using System.Text;
using FleetMfa.Agent.Platform;
using FleetMfa.Agent.Platform.Linux;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Tests.Platform;

/// <summary>What the agent writes for SSH MFA, from the seed's Linux rules.</summary>
public sealed class SshPolicyRendererTests
{
    /// <summary>Debian 12's <c>/etc/pam.d/sshd</c>, shortened (comments and most session lines dropped).</summary>
    public const string DebianPam = """
        # PAM configuration for the Secure Shell service

        # Standard Un*x authentication.
        @include common-auth

        # Disallow non-root logins when /etc/nologin exists.
        account    required     pam_nologin.so

        @include common-account
        session    required     pam_loginuid.so
        @include common-session
        @include common-password

        """;

    private const string Module = "auth required /lib/security/pam_fleetmfa.so mode=publickey agent=/usr/bin/fleetmfa-agent data_dir=/var/lib/fleetmfa-agent";

    [Theory]
    [InlineData(false, true, false, SshMode.Off)]
    [InlineData(false, true, true, SshMode.Off)]
    [InlineData(true, true, false, SshMode.PasswordThenCode)]
    [InlineData(true, false, true, SshMode.PublicKeyThenCode)]
    public void The_mode_follows_the_MFA_switch_and_the_one_allowed_method(bool mfa, bool password, bool publicKey, SshMode expected) =>
        Assert.Equal(expected, SshPolicyRenderer.ModeFor(mfa, new LinuxPolicy(password, publicKey)));

    [Fact]
    public void Mfa_with_both_password_and_public_key_is_refused_as_the_seed_conflict()
    {
        var ex = Assert.Throws<PolicyException>(() => SshPolicyRenderer.ModeFor(true, new LinuxPolicy(true, true)));
        Assert.StartsWith("linux-ssh-conflict", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mfa_with_neither_method_is_refused() =>
        Assert.Throws<PolicyException>(() => SshPolicyRenderer.ModeFor(true, new LinuxPolicy(false, false)));

    [Fact]
    public void Password_mode_allows_only_keyboard_interactive_with_PAM()
    {
        var lines = SshPolicyRenderer.DropIn(SshMode.PasswordThenCode).Split('\n');

        Assert.Contains("AuthenticationMethods keyboard-interactive", lines);
        Assert.Contains("KbdInteractiveAuthentication yes", lines);
        Assert.Contains("UsePAM yes", lines);
        Assert.Contains("PasswordAuthentication no", lines);
        Assert.Contains("PubkeyAuthentication no", lines);
    }

    [Fact]
    public void Public_key_mode_asks_for_the_key_then_keyboard_interactive()
    {
        var lines = SshPolicyRenderer.DropIn(SshMode.PublicKeyThenCode).Split('\n');

        Assert.Contains("AuthenticationMethods publickey,keyboard-interactive", lines);
        Assert.Contains("PubkeyAuthentication yes", lines);
        Assert.Contains("PasswordAuthentication no", lines);
        Assert.Contains("KbdInteractiveAuthentication yes", lines);
    }

    [Fact]
    public void Password_mode_adds_the_module_right_after_the_password_stack_and_keeps_everything_else()
    {
        var pam = SshPolicyRenderer.PamService(DebianPam, SshMode.PasswordThenCode, Module);
        var lines = pam.Split('\n').ToList();

        Assert.Equal(lines.IndexOf("@include common-auth") + 2, lines.IndexOf(Module));
        Assert.Equal(DebianPam, string.Join('\n', lines.Where(l => l != Module && !l.StartsWith(SshPolicyRenderer.Marker, StringComparison.Ordinal))));
    }

    [Fact]
    public void Public_key_mode_comments_out_the_password_stack_and_asks_only_for_the_code()
    {
        var lines = SshPolicyRenderer.PamService(DebianPam, SshMode.PublicKeyThenCode, Module).Split('\n').ToList();

        Assert.DoesNotContain("@include common-auth", lines);
        Assert.Contains($"{SshPolicyRenderer.Marker} (not asked after a public key): @include common-auth", lines);
        Assert.Single(lines, l => l.TrimStart().StartsWith("auth", StringComparison.Ordinal));
        Assert.Contains(Module, lines);
        Assert.Contains("@include common-account", lines);
        Assert.Contains("session    required     pam_loginuid.so", lines);
    }

    [Fact]
    public void Rendering_twice_from_the_same_original_gives_the_same_bytes() =>
        Assert.Equal(
            SshPolicyRenderer.PamService(DebianPam, SshMode.PublicKeyThenCode, Module),
            SshPolicyRenderer.PamService(DebianPam, SshMode.PublicKeyThenCode, Module));

    [Fact]
    public void The_module_line_names_the_mode_the_agent_and_its_data_directory()
    {
        var options = new SshPolicyOptions { DataDirectory = "/var/lib/x", PamModule = "/m/pam_fleetmfa.so", AgentExecutable = "/usr/bin/fleetmfa-agent" };

        Assert.Equal("auth required /m/pam_fleetmfa.so mode=password agent=/usr/bin/fleetmfa-agent data_dir=/var/lib/x", SshPolicyRenderer.ModuleLine(options, SshMode.PasswordThenCode));
        Assert.Equal("auth required /m/pam_fleetmfa.so mode=publickey agent=/usr/bin/fleetmfa-agent data_dir=/var/lib/x", SshPolicyRenderer.ModuleLine(options, SshMode.PublicKeyThenCode));
        Assert.Throws<ArgumentOutOfRangeException>(() => SshPolicyRenderer.ModuleLine(options, SshMode.Off));
    }

    [Fact]
    public void A_drop_in_tells_its_mode_and_anything_else_tells_none()
    {
        Assert.Equal(SshMode.PasswordThenCode, SshPolicyRenderer.ModeOf(Encoding.UTF8.GetBytes(SshPolicyRenderer.DropIn(SshMode.PasswordThenCode))));
        Assert.Equal(SshMode.PublicKeyThenCode, SshPolicyRenderer.ModeOf(Encoding.UTF8.GetBytes(SshPolicyRenderer.DropIn(SshMode.PublicKeyThenCode))));
        Assert.Null(SshPolicyRenderer.ModeOf("# the admin's own\n"u8.ToArray()));
    }

    [Fact]
    public void A_rendered_PAM_file_is_told_from_an_original()
    {
        Assert.False(SshPolicyRenderer.IsRendered(DebianPam));
        Assert.True(SshPolicyRenderer.IsRendered(SshPolicyRenderer.PamService(DebianPam, SshMode.PasswordThenCode, Module)));
    }
}
