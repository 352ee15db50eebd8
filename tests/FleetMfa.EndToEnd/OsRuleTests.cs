using System.Net;
using System.Text.Json.Nodes;
using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Fleet;

namespace FleetMfa.EndToEnd;

/// <summary>The per-OS rules of the seed: refused with the rule's stable code, and never half-applied.</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class OsRuleTests(EndToEndFixture fixture) : IAsyncLifetime
{
    private static readonly string[] DuoPlugin = ["com.duo.auth"];

    // Each test uses devices of its own in one shared org.
    private static readonly OncePerSilo<TestOrg> SharedOrg = new(silo => TestOrg.CreateAsync(silo.Api, TestIds.Unique("osrules")));

    private string _org = "";

    private ApiClient Admin => fixture.Silo.Admin;

    public async Task InitializeAsync() => _org = (await SharedOrg.GetAsync(fixture.Silo)).OrgId;

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Linux_MFA_is_refused_while_both_SSH_password_login_and_public_key_auth_are_allowed()
    {
        await Admin.RegisterDeviceAsync(_org, "lx-1", "linux", "Ubuntu 24.04");
        var patched = (await Admin.PatchAsync($"/api/orgs/{_org}/devices/lx-1", new { linux = new { sshPasswordLogin = true, sshPublicKeyAuth = true } })).Ok();
        Assert.True((bool)patched["settings"]!["linux"]!["sshPublicKeyAuth"]!);

        (await Admin.PostAsync($"/api/orgs/{_org}/devices/lx-1/mfa/enable")).Problem(HttpStatusCode.Conflict, "linux-ssh-conflict");
        (await Admin.PostAsync($"/api/orgs/{_org}/devices/lx-1/mfa/enable", new { force = true })).Problem(HttpStatusCode.Conflict, "linux-ssh-conflict");

        await AssertMfaUnchangedAsync("lx-1", patched);
        (await Admin.PatchAsync($"/api/orgs/{_org}/devices/lx-1", new { linux = new { sshPasswordLogin = false } })).Ok();
        Assert.Equal("pending", (string?)(await Admin.EnableMfaAsync(_org, "lx-1"))["mfa"]!["status"]);
    }

    [Fact]
    public async Task A_Linux_settings_change_into_the_SSH_conflict_is_refused_while_MFA_is_on()
    {
        await Admin.RegisterDeviceAsync(_org, "lx-2", "linux", "Debian 12");
        var before = await Admin.EnableMfaAsync(_org, "lx-2");

        (await Admin.PatchAsync($"/api/orgs/{_org}/devices/lx-2", new { linux = new { sshPublicKeyAuth = true } }))
            .Problem(HttpStatusCode.Conflict, "linux-ssh-conflict");

        var after = (await Admin.GetAsync($"/api/orgs/{_org}/devices/lx-2")).Ok();
        Assert.True(JsonNode.DeepEquals(before["settings"], after["settings"]), $"settings changed: {after["settings"]}");
        Assert.Equal((long)before["mfa"]!["desiredVersion"]!, (long)after["mfa"]!["desiredVersion"]!);
        Assert.True((bool)after["mfa"]!["desired"]!);
    }

    [Fact]
    public async Task Windows_MFA_is_refused_before_Windows_10()
    {
        var registered = await Admin.RegisterDeviceAsync(_org, "win7", "windows", "6.1.7601");

        (await Admin.PostAsync($"/api/orgs/{_org}/devices/win7/mfa/enable")).Problem(HttpStatusCode.Conflict, "windows-version-unsupported");

        await AssertMfaUnchangedAsync("win7", registered);
        await Admin.RegisterDeviceAsync(_org, "win10", "windows", "10.0.19045");
        Assert.Equal("pending", (string?)(await Admin.EnableMfaAsync(_org, "win10"))["mfa"]!["status"]);
    }

    [Fact]
    public async Task MacOS_MFA_is_refused_when_another_auth_plugin_is_reported_unless_forced()
    {
        var registered = (await Admin.PutAsync($"/api/orgs/{_org}/devices/mac-1", new
        {
            hostname = "mac-1",
            os = "macos",
            osVersion = "14.5",
            facts = new { authPlugins = DuoPlugin },
        })).Ok();

        (await Admin.PostAsync($"/api/orgs/{_org}/devices/mac-1/mfa/enable")).Problem(HttpStatusCode.Conflict, "mac-auth-plugin-conflict");
        (await Admin.PostAsync($"/api/orgs/{_org}/devices/mac-1/mfa/enable", new { force = false })).Problem(HttpStatusCode.Conflict, "mac-auth-plugin-conflict");
        await AssertMfaUnchangedAsync("mac-1", registered);

        var forced = (await Admin.PostAsync($"/api/orgs/{_org}/devices/mac-1/mfa/enable", new { force = true })).Ok();
        Assert.True((bool)forced["mfa"]!["desired"]!);
        Assert.Equal("pending", (string?)forced["mfa"]!["status"]);
    }

    [Fact]
    public async Task MacOS_12_on_a_display_under_900_px_is_enabled_with_a_warning()
    {
        var registered = (await Admin.PutAsync($"/api/orgs/{_org}/devices/mac-small", new
        {
            hostname = "mac-small",
            os = "macos",
            osVersion = "12.7.4",
            facts = new { displayHeightPixels = 800 },
        })).Ok();
        Assert.Equal(["macos-12-small-display"], registered["mfa"]!["warnings"]!.AsArray().Select(w => (string?)w));

        var enabled = await Admin.EnableMfaAsync(_org, "mac-small");

        Assert.True((bool)enabled["mfa"]!["desired"]!);
        Assert.Equal(["macos-12-small-display"], enabled["mfa"]!["warnings"]!.AsArray().Select(w => (string?)w));
        var tall = (await Admin.PutAsync($"/api/orgs/{_org}/devices/mac-tall", new { hostname = "mac-tall", os = "macos", osVersion = "12.7.4", facts = new { displayHeightPixels = 1080 } })).Ok();
        Assert.Empty(tall["mfa"]!["warnings"]!.AsArray());
    }

    [Fact]
    public async Task A_Linux_device_without_an_SSH_server_is_enabled_with_a_warning()
    {
        (await Admin.PutAsync($"/api/orgs/{_org}/devices/lx-nossh", new { hostname = "lx-nossh", os = "linux", osVersion = "12", facts = new { sshServerInstalled = false } })).Ok();

        var enabled = await Admin.EnableMfaAsync(_org, "lx-nossh");

        Assert.Equal(["linux-no-ssh-server"], enabled["mfa"]!["warnings"]!.AsArray().Select(w => (string?)w));
    }

    [Fact]
    public async Task A_device_cannot_change_its_OS()
    {
        await Admin.RegisterDeviceAsync(_org, "fixed-os", "linux", "12");

        (await Admin.PutAsync($"/api/orgs/{_org}/devices/fixed-os", new { hostname = "fixed-os", os = "windows", osVersion = "11" }))
            .Problem(HttpStatusCode.Conflict, "conflict");

        var device = (await Admin.GetAsync($"/api/orgs/{_org}/devices/fixed-os")).Ok();
        Assert.Equal("linux", (string?)device["os"]);
        Assert.Equal("12", (string?)device["osVersion"]);
        var renamed = await Admin.RegisterDeviceAsync(_org, "fixed-os", "linux", "13");
        Assert.Equal("13", (string?)renamed["osVersion"]);
    }

    /// <summary>A refusal changed nothing: MFA is still off and the desired state did not move on.</summary>
    private async Task AssertMfaUnchangedAsync(string deviceId, JsonNode before)
    {
        var device = (await Admin.GetAsync($"/api/orgs/{_org}/devices/{deviceId}")).Ok();
        Assert.False((bool)device["mfa"]!["desired"]!);
        Assert.False((bool)device["mfa"]!["required"]!);
        Assert.Equal("disabled", (string?)device["mfa"]!["status"]);
        Assert.Equal((long)before["mfa"]!["desiredVersion"]!, (long)device["mfa"]!["desiredVersion"]!);
        Assert.True(JsonNode.DeepEquals(before["settings"], device["settings"]), $"settings changed: {device["settings"]}");
    }
}
