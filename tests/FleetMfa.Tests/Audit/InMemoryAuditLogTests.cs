using FleetMfa.Grains.Audit;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Audit;

/// <summary>The in-memory log the TestCluster silos use keeps the same contract as the real one.</summary>
public sealed class InMemoryAuditLogTests : AuditLogContract
{
    protected override IAuditLog Log { get; } = new InMemoryAuditLog();
}
