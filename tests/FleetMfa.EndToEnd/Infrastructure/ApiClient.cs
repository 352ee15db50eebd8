using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// The admin API as one caller sees it: every request carries <c>Authorization: Bearer {key}</c> (none when the key is
/// null). A <c>string</c> body is sent as raw JSON text as is; any other object is serialized camelCase. Requests to
/// <c>/api/agent/*</c> go to the silo's agent endpoint (<paramref name="agents"/>: HTTPS, trusting its CA) when given,
/// as an agent's would.
/// </summary>
public sealed class ApiClient(HttpClient http, string? key, HttpClient? agents = null)
{
    public Task<ApiResponse> GetAsync(string path) => SendAsync(HttpMethod.Get, path, body: null);

    public Task<ApiResponse> PutAsync(string path, object body) => SendAsync(HttpMethod.Put, path, body);

    public Task<ApiResponse> PostAsync(string path, object? body = null) => SendAsync(HttpMethod.Post, path, body);

    public Task<ApiResponse> PatchAsync(string path, object body) => SendAsync(HttpMethod.Patch, path, body);

    public Task<ApiResponse> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path, body: null);

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (body is not null)
        {
            var json = body as string ?? JsonSerializer.Serialize(body, JsonSerializerOptions.Web);
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return await SendAsync(request);
    }

    /// <summary>Sends a hand-built request (custom headers or content), adding the key unless the request has one.</summary>
    public async Task<ApiResponse> SendAsync(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (key is not null && request.Headers.Authorization is null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        var client = http;
        if (agents?.BaseAddress is { } agentBase && request.RequestUri is { IsAbsoluteUri: false } relative &&
            relative.OriginalString.StartsWith("/api/agent/", StringComparison.Ordinal))
        {
            request.RequestUri = new Uri(agentBase, relative);
            client = agents;
        }

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return new ApiResponse(
            $"{request.Method} {request.RequestUri}",
            response.StatusCode,
            response.Content.Headers.ContentType?.MediaType,
            response.Headers.CacheControl?.ToString(),
            response.Headers.WwwAuthenticate.ToString(),
            body);
    }
}
