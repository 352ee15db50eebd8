using System.Text;
using Azure.Data.Tables;
using FleetMfa.Grains;
using FleetMfa.Tests.Infrastructure;
using OtpNet;

namespace FleetMfa.Tests.Azurite;

/// <summary>TOTP secrets exist on the control plane only as ciphertext (DESIGN §7).</summary>
[Collection(AzuriteCollection.Name)]
public class SecretAtRestTests(AzuriteClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task No_form_of_an_enrolled_or_pending_secret_is_in_the_grain_state_tables()
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        await Grains.RegisterLinuxAsync(orgId, "web-01");
        await Grains.GetDevice(orgId, "web-01").EnableMfaAsync(force: false);
        var marker = $"Marker {Guid.NewGuid():N}";
        await Grains.NewUserAsync(orgId, "alice", marker);
        var enrolled = await Grains.GetUser(orgId, "alice").StartTotpEnrollmentAsync();
        await Grains.GetUser(orgId, "alice").ConfirmTotpAsync(Fleet.AuthenticatorCode(enrolled.Secret, fixture.Time.GetUtcNow()));
        await Grains.GetDevice(orgId, "web-01").BindUserAsync("alice", "alice");
        await Grains.NewUserAsync(orgId, "bob");
        var pending = await Grains.GetUser(orgId, "bob").StartTotpEnrollmentAsync();

        var values = await AllPropertyValuesAsync(fixture.GrainStateTableClients());

        // The scan sees inside grain state: the username, stored next to the secret, is found.
        Assert.True(Contains(values, marker), "the scan should find the user's name in the grain-state tables");
        foreach (var secret in new[] { enrolled.Secret, pending.Secret })
        {
            var raw = Base32Encoding.ToBytes(secret);
            Assert.Equal(20, raw.Length);
            Assert.False(Contains(values, secret), "base32 secret found in storage");
            Assert.False(Contains(values, Convert.ToHexStringLower(raw)), "hex secret found in storage");
            Assert.False(Contains(values, Convert.ToBase64String(raw)), "base64 secret found in storage");
            Assert.False(Contains(values, raw), "raw secret bytes found in storage");
        }
    }

    /// <summary>Every property value of every entity of the tables, strings and binary alike (system properties included).</summary>
    private static async Task<List<object>> AllPropertyValuesAsync(IEnumerable<TableClient> tables)
    {
        var values = new List<object>();
        foreach (var table in tables)
        {
            await foreach (var entity in table.QueryAsync<TableEntity>())
            {
                foreach (var (_, value) in entity)
                {
                    switch (value)
                    {
                        case string or byte[]:
                            values.Add(value);
                            break;
                        case BinaryData binary:
                            values.Add(binary.ToArray());
                            break;
                    }
                }
            }
        }

        Assert.NotEmpty(values);
        return values;
    }

    /// <summary>Whether <paramref name="text"/> occurs, in any case, as a string or as UTF-8/UTF-16 inside binary values.</summary>
    private static bool Contains(List<object> values, string text)
    {
        string[] variants = [text, text.ToUpperInvariant(), text.ToLowerInvariant()];
        return values.Any(value => value switch
        {
            string s => s.Contains(text, StringComparison.OrdinalIgnoreCase),
            byte[] b => variants.Any(v => IndexOf(b, Encoding.UTF8.GetBytes(v)) || IndexOf(b, Encoding.Unicode.GetBytes(v))),
            _ => false,
        });
    }

    /// <summary>Whether <paramref name="bytes"/> occur in a binary value, or as Latin-1 characters of a string value.</summary>
    private static bool Contains(List<object> values, byte[] bytes) =>
        values.Any(value => value switch
        {
            byte[] b => IndexOf(b, bytes),
            string s => s.Contains(Encoding.Latin1.GetString(bytes), StringComparison.Ordinal),
            _ => false,
        });

    private static bool IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
