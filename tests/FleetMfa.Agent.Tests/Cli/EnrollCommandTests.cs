using FleetMfa.Agent.Cli;
using FleetMfa.Agent.Tests.Infrastructure;

namespace FleetMfa.Agent.Tests.Cli;

/// <summary>
/// <c>enroll</c> refuses before it sends anything: plain <c>http://</c> without <c>--insecure</c>, a key without a CA
/// fingerprint over https, a malformed pin — each exit 2 with a message that says what to do, and no store written.
/// Nothing listens on the addresses used: a refusal that reached the network would fail differently.
/// </summary>
public sealed class EnrollCommandTests : IDisposable
{
    private const string Key = "fmc_0123456789abcdef_0000000000000000000000000000000000000000000000000000000000000000_acme";
    private static readonly string Pinned = $"{Key}:sha256:{new string('a', 64)}";

    private readonly TempDirectory _root = new();

    private string DataDirectory => _root.Combine("store");

    [Fact]
    public async Task Plain_http_is_refused_naming_insecure()
    {
        var result = await AgentProcess.RunAsync(null, "enroll", "--server", "http://127.0.0.1:9/", "--connect-key", Pinned, "--data-dir", DataDirectory);

        Assert.True(result.ExitCode == ExitCodes.UsageOrStoreError, result.ToString());
        Assert.Contains("plain http://", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--insecure", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(DataDirectory));
    }

    [Fact]
    public async Task A_key_without_a_CA_fingerprint_is_refused_over_https_naming_insecure()
    {
        var result = await AgentProcess.RunAsync(null, "enroll", "--server", "https://127.0.0.1:9/", "--connect-key", Key, "--data-dir", DataDirectory);

        Assert.True(result.ExitCode == ExitCodes.UsageOrStoreError, result.ToString());
        Assert.Contains("carries no CA fingerprint", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--insecure", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(DataDirectory));
    }

    [Theory]
    [InlineData(Key + ":sha256:abc")]
    [InlineData(Key + ":sha256:")]
    public async Task A_malformed_pin_is_refused_even_with_insecure(string key)
    {
        var result = await AgentProcess.RunAsync(null, "enroll", "--server", "http://127.0.0.1:9/", "--connect-key", key, "--insecure", "--data-dir", DataDirectory);

        Assert.True(result.ExitCode == ExitCodes.UsageOrStoreError, result.ToString());
        Assert.Contains("connect key is malformed", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Insecure_is_a_flag_that_warns_and_then_tries_the_server()
    {
        var result = await AgentProcess.RunAsync(null, "enroll", "--server", "http://127.0.0.1:9/", "--connect-key", Key, "--insecure", "--data-dir", DataDirectory);

        Assert.True(result.ExitCode == ExitCodes.UsageOrStoreError, result.ToString());
        Assert.Contains("warning: --insecure is for development only", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("usage:", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_pinned_server_is_an_enrollment_failure()
    {
        var result = await AgentProcess.RunAsync(null, "enroll", "--server", "https://127.0.0.1:9/", "--connect-key", Pinned, "--data-dir", DataDirectory);

        Assert.True(result.ExitCode == ExitCodes.UsageOrStoreError, result.ToString());
        Assert.Contains("could not read the control plane's CA", result.Stderr, StringComparison.Ordinal);
    }

    public void Dispose() => _root.Dispose();
}
