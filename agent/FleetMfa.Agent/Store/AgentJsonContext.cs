using System.Text.Json;
using System.Text.Json.Serialization;
using FleetMfa.Agent.Cli;
using FleetMfa.Agent.Enrollment;

namespace FleetMfa.Agent.Store;

/// <summary>Source-generated JSON for the agent's own files and its enrollment call (AOT-safe).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, RespectNullableAnnotations = true, WriteIndented = false)]
[JsonSerializable(typeof(AppliedState))]
[JsonSerializable(typeof(AgentConfig))]
[JsonSerializable(typeof(VerifyLedger))]
[JsonSerializable(typeof(FailureStamp))]
[JsonSerializable(typeof(FleetMfa.Protocol.Documents.AuditEvent))]
[JsonSerializable(typeof(EnrollRequest))]
[JsonSerializable(typeof(EnrollResponse))]
[JsonSerializable(typeof(RenewCertificateRequest))]
[JsonSerializable(typeof(EnrollCertificate))]
[JsonSerializable(typeof(StatusReport))]
internal sealed partial class AgentJsonContext : JsonSerializerContext;
