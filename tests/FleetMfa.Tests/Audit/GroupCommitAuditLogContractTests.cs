using FleetMfa.Grains.Audit;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Audit;

/// <summary>Group commit in front of a log keeps that log's contract.</summary>
public sealed class GroupCommitAuditLogContractTests : AuditLogContract
{
    protected override IAuditLog Log { get; } = new GroupCommitAuditLog(new InMemoryAuditLog());
}
