using System.Text.Json;
using System.Text.Json.Serialization;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Protocol;

/// <summary>
/// Source-generated (AOT-safe) JSON for every wire document: camelCase, kebab-case enums, unknown members refused,
/// required members enforced.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UseStringEnumConverter = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    MaxDepth = 16)]
[JsonSerializable(typeof(DesiredState))]
[JsonSerializable(typeof(SignedDesiredState))]
[JsonSerializable(typeof(ReportedState))]
[JsonSerializable(typeof(AuditEventBatch))]
[JsonSerializable(typeof(AuditReceipt))]
[JsonSerializable(typeof(SignedAuditReceipt))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;
