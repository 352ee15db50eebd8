using System.Text.Json.Serialization;

namespace FleetMfa.Protocol.Documents;

/// <summary>
/// What travels on <c>…/receipts</c>: an <see cref="AuditReceipt"/> as the exact bytes the control plane signed, with
/// the same key, key id and rotation endorsement as a desired state (<see cref="SignedDesiredState"/>) but its own
/// signing context, so neither can pass for the other. An agent drops queued login events only on a receipt that
/// verifies with its pinned key and names its own org and device: whoever can write the topic cannot erase them.
/// </summary>
public sealed record SignedAuditReceipt(
    byte[] Payload,
    byte[] Sig,
    string Kid,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] KeyEndorsement? Endorsement = null)
{
    /// <summary>The largest signed receipt an agent reads: a receipt of <see cref="AuditReceipt.MaxBytes"/> in base64, and the rest.</summary>
    public const int MaxBytes = 96 * 1024;
}
