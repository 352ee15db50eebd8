namespace FleetMfa.Agent.Tests.Infrastructure;

/// <summary>Who the test process runs as, read from the kernel's own account of it (not through NSS).</summary>
public static class ProcessUser
{
    /// <summary>The effective uid: the second field of <c>Uid:</c> in <c>/proc/self/status</c>.</summary>
    public static uint EffectiveUid() =>
        File.ReadLines("/proc/self/status")
            .Where(line => line.StartsWith("Uid:", StringComparison.Ordinal))
            .Select(line => uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], System.Globalization.CultureInfo.InvariantCulture))
            .Single();
}
