using System.Text.Json;
using FleetMfa.Protocol;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Tests.Infrastructure;

/// <summary>The desired state the signature tests sign, and the signed envelope taken apart and put together again.</summary>
public static class SignedMessages
{
    public static DesiredState Desired(long version = 7, string orgId = TestStore.OrgId, string deviceId = TestStore.DeviceId, bool mfa = true) =>
        new(DesiredState.CurrentSchema, orgId, deviceId, version, mfa, TestTotp.Default, TestStore.Policy, [], new DateTimeOffset(2026, 12, 7, 8, 0, 0, TimeSpan.Zero));

    public static SignedDesiredState Envelope(byte[] message) => JsonSerializer.Deserialize(message, ProtocolJsonContext.Default.SignedDesiredState)!;

    public static byte[] Message(SignedDesiredState envelope) => JsonSerializer.SerializeToUtf8Bytes(envelope, ProtocolJsonContext.Default.SignedDesiredState);
}
