using System.Text.Json;
using FleetMfa.Protocol;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Testing.Agents;

/// <summary>
/// For observers of the <c>desired</c> topics (tests, benchmarks): the document inside a signed message, read without
/// checking the signature — an agent checks it (<c>DesiredStateVerifier</c>); an observer only looks.
/// </summary>
public static class DesiredMessages
{
    /// <summary>The exact document bytes the message carries.</summary>
    public static byte[] Document(ReadOnlySpan<byte> message) =>
        (JsonSerializer.Deserialize(message, ProtocolJsonContext.Default.SignedDesiredState) ?? throw new JsonException("a JSON null on a desired topic")).Payload;

    /// <summary>The document the message carries, parsed.</summary>
    public static DesiredState Parse(ReadOnlySpan<byte> message) =>
        JsonSerializer.Deserialize(Document(message), ProtocolJsonContext.Default.DesiredState) ?? throw new JsonException("a JSON null inside a desired message");
}
