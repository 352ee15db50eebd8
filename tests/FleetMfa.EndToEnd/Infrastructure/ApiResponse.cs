using System.Net;
using System.Text.Json.Nodes;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>A fully read HTTP response, with assertions that print the body when they fail.</summary>
public sealed record ApiResponse(string Request, HttpStatusCode Status, string? MediaType, string? CacheControl, string? WwwAuthenticate, string Body)
{
    public JsonNode Json => JsonNode.Parse(Body) ?? throw new InvalidOperationException($"{Request}: the body is JSON null.");

    /// <summary>Asserts the status (200 unless told) and returns the JSON body.</summary>
    public JsonNode Ok(HttpStatusCode expected = HttpStatusCode.OK)
    {
        Assert.True(Status == expected, $"{Request}: expected {(int)expected} {expected}, got {(int)Status} {Status}: {Body}");
        Assert.Equal("application/json", MediaType);
        return Json;
    }

    /// <summary>Asserts a problem+json response with the given status and stable <c>code</c>; returns it.</summary>
    public JsonObject Problem(HttpStatusCode status, string code)
    {
        Assert.True(Status == status, $"{Request}: expected {(int)status} {status} '{code}', got {(int)Status} {Status} ({MediaType}): {Body}");
        Assert.True(MediaType == "application/problem+json", $"{Request}: expected application/problem+json, got '{MediaType}': {Body}");
        var problem = Json.AsObject();
        Assert.Equal(code, (string?)problem["code"]);
        Assert.Equal((int)status, (int?)problem["status"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)problem["title"]), $"{Request}: the problem has no title: {Body}");
        return problem;
    }
}
