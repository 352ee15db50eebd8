namespace FleetMfa.Protocol.Documents;

/// <summary>
/// The control plane's answer to an <see cref="AuditEventBatch"/>, on the device's <c>…/receipts</c> topic, signed
/// (<see cref="SignedAuditReceipt"/>): the org and device it is for and the ids of the batch's events it has stored (or
/// found already stored, or refused for good). The agent drops an event from its queue only on a trusted receipt naming
/// it; until then it sends the event again (<see cref="ReceiptWait"/>), and the control plane stores an event once
/// however often it arrives.
/// </summary>
public sealed record AuditReceipt(int Schema, string OrgId, string DeviceId, IReadOnlyList<string> Stored)
{
    /// <summary>2: signed, and naming its org and device (1 was bare).</summary>
    public const int CurrentSchema = 2;

    /// <summary>A receipt's largest payload: <see cref="AuditEventBatch.MaxEvents"/> ids of 64 characters, quoted.</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>How long the agent waits for the receipt of an event it sent before it sends the event again.</summary>
    public static readonly TimeSpan ReceiptWait = TimeSpan.FromSeconds(60);
}
