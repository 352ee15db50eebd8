using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Agent.Verification;

namespace FleetMfa.Agent.Tests.Verification;

public sealed class KernelBootIdTests
{
    [Fact]
    public void The_boot_id_is_the_kernels()
    {
        Assert.True(Guid.TryParse(KernelBootId.Current, out _), KernelBootId.Current);
        Assert.Equal(File.ReadAllText(KernelBootId.DefaultPath).Trim(), KernelBootId.Current);
    }

    [Fact]
    public void A_file_is_read_trimmed()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("boot_id"), "b1\n");

        Assert.Equal("b1", KernelBootId.Read(dir.Combine("boot_id")));
    }

    [Fact]
    public void A_missing_or_empty_file_is_no_boot_id()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("empty"), "\n");

        Assert.Null(KernelBootId.Read(dir.Combine("missing")));
        Assert.Null(KernelBootId.Read(dir.Combine("empty")));
    }
}
