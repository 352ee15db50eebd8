using System.Text.Json;
using System.Text.Json.Serialization;

namespace FleetMfa.Agent.Store;

/// <summary>
/// Reads <see cref="UserLedger.Failures"/> in both shapes it has had: a plain wall-clock time (earlier versions, read
/// as a stamp of an unknown boot) and a <see cref="FailureStamp"/> object; writes objects.
/// </summary>
internal sealed class FailureListJsonConverter : JsonConverter<List<FailureStamp>>
{
    public override List<FailureStamp> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("the ledger's failures are not a list");
        }

        var failures = new List<FailureStamp>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            failures.Add(reader.TokenType == JsonTokenType.String
                ? new FailureStamp(null, 0, reader.GetDateTimeOffset())
                : JsonSerializer.Deserialize(ref reader, AgentJsonContext.Default.FailureStamp) ?? throw new JsonException("a null failure in the ledger"));
        }

        return failures;
    }

    public override void Write(Utf8JsonWriter writer, List<FailureStamp> value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartArray();
        foreach (var failure in value)
        {
            JsonSerializer.Serialize(writer, failure, AgentJsonContext.Default.FailureStamp);
        }

        writer.WriteEndArray();
    }
}
