using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>Secrets never reach the silo's log output (DESIGN §7; STYLE "Logging").</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class SecretLeakTests(EndToEndFixture fixture)
{
    private static readonly TimeSpan LogDeadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task The_TOTP_secret_and_operator_keys_never_appear_in_the_silo_output()
    {
        var admin = fixture.Silo.Admin;
        var org = TestIds.Unique("leak");
        await admin.CreateOrgAsync(org);
        var operatorKey = await admin.CreateOperatorKeyAsync(org);
        var ops = fixture.Silo.WithKey(operatorKey);
        await ops.RegisterDeviceAsync(org, "dev-1");
        await ops.EnableMfaAsync(org, "dev-1");
        await ops.CreateUserAsync(org, "mallory");
        await ops.BindAsync(org, "dev-1", "mallory");
        var secret = await ops.StartEnrollmentAsync(org, "mallory");
        await ops.ConfirmAsync(org, "mallory", "000000");
        await ops.ConfirmNowAsync(org, "mallory", secret);

        // The grain logs the completed setup: once that line is in the captured output, so is everything before it.
        await WaitForOutputAsync($"User {org}/mallory completed TOTP setup");

        var output = fixture.Silo.Output;
        Assert.DoesNotContain(secret, output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(operatorKey, output, StringComparison.Ordinal);
        Assert.DoesNotContain(operatorKey.Split('_')[2], output, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Silo.AdminKey, output, StringComparison.Ordinal);
    }

    private async Task WaitForOutputAsync(string text)
    {
        var deadline = DateTimeOffset.UtcNow + LogDeadline;
        while (!fixture.Silo.Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"'{text}' did not appear in the silo output within {LogDeadline.TotalSeconds} s.");
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }
}
