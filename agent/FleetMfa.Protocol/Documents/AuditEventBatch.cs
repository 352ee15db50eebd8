namespace FleetMfa.Protocol.Documents;

/// <summary>Audit events queued on the device and uploaded on <c>…/events</c>, possibly long after they happened.</summary>
public sealed record AuditEventBatch(int Schema, IReadOnlyList<AuditEvent> Events)
{
    public const int CurrentSchema = 1;
    public const int MaxEvents = 500;
}
