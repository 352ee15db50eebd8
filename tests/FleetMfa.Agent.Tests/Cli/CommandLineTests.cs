using FleetMfa.Agent.Cli;
using FleetMfa.Agent.Tests.Infrastructure;

namespace FleetMfa.Agent.Tests.Cli;

/// <summary>Usage and store errors are exit code 2 with a message, whichever command meets them.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly TestStore _store = new();

    public CommandLineTests() => _store.Enroll();

    [Fact]
    public async Task Verify_without_a_user_exits_2()
    {
        var result = await AgentProcess.RunAsync("123456\n", "verify", "--data-dir", _store.DataDirectory);

        Assert.True(result.ExitCode == ExitCodes.UsageOrStoreError, result.ToString());
        Assert.Contains("--user", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(_store.Store.PeekAudit(10));
    }

    [Fact]
    public async Task Verify_with_an_empty_or_overlong_user_exits_2()
    {
        Assert.Equal(ExitCodes.UsageOrStoreError, (await AgentProcess.RunAsync("123456\n", "verify", "--user", "", "--data-dir", _store.DataDirectory)).ExitCode);
        Assert.Equal(ExitCodes.UsageOrStoreError, (await AgentProcess.RunAsync("123456\n", "verify", "--user", new string('a', 65), "--data-dir", _store.DataDirectory)).ExitCode);
    }

    [Fact]
    public async Task An_unknown_command_exits_2_with_the_usage()
    {
        var result = await AgentProcess.RunAsync(null, "verfiy", "--user", "alice", "--data-dir", _store.DataDirectory);

        Assert.True(result.ExitCode == ExitCodes.UsageOrStoreError, result.ToString());
        Assert.Contains("usage: fleetmfa-agent", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_command_exits_2() =>
        Assert.Equal(ExitCodes.UsageOrStoreError, (await AgentProcess.RunAsync(null)).ExitCode);

    [Theory]
    [InlineData("--usr", "alice")]
    [InlineData("--user", "alice", "--user", "bob")]
    [InlineData("--user")]
    [InlineData("alice")]
    public async Task A_malformed_option_exits_2(params string[] options)
    {
        var result = await AgentProcess.RunAsync("123456\n", ["verify", .. options, "--data-dir", _store.DataDirectory]);

        Assert.True(result.ExitCode == ExitCodes.UsageOrStoreError, result.ToString());
    }

    [Fact]
    public async Task Verify_against_a_missing_store_exits_2_and_creates_nothing()
    {
        using var root = new TempDirectory();
        var missing = root.Combine("no-store");

        var result = await AgentProcess.RunAsync("123456\n", "verify", "--user", "alice", "--data-dir", missing);

        Assert.True(result.ExitCode == ExitCodes.UsageOrStoreError, result.ToString());
        Assert.Contains("no agent store", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public async Task Verify_against_an_unenrolled_directory_exits_2()
    {
        using var root = new TempDirectory();

        var result = await AgentProcess.RunAsync("123456\n", "verify", "--user", "alice", "--data-dir", root.Path);

        Assert.Equal(ExitCodes.UsageOrStoreError, result.ExitCode);
    }

    [Fact]
    public async Task Run_without_enrollment_exits_2()
    {
        using var root = new TempDirectory();

        var result = await AgentProcess.RunAsync(null, "run", "--data-dir", root.Path);

        Assert.True(result.ExitCode == ExitCodes.UsageOrStoreError, result.ToString());
        Assert.Contains("not enrolled", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enroll_with_a_non_http_server_exits_2()
    {
        using var root = new TempDirectory();

        var result = await AgentProcess.RunAsync(null, "enroll", "--server", "ftp://example.test", "--connect-key", "k", "--data-dir", root.Path);

        Assert.True(result.ExitCode == ExitCodes.UsageOrStoreError, result.ToString());
    }

    public void Dispose() => _store.Dispose();
}
