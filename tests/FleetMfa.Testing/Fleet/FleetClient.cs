using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace FleetMfa.Testing.Fleet;

/// <summary>The admin API over HTTP with the admin key; every call that does not succeed throws with the problem text.</summary>
public sealed class FleetClient : IDisposable
{
    private readonly HttpClient _http;

    public FleetClient(Uri api, string adminKey, int connections)
    {
        Api = api;
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = api,
            Timeout = TimeSpan.FromSeconds(120),
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
    }

    public Uri Api { get; }

    /// <summary>An unauthenticated client for the agents' own calls (enrollment).</summary>
    public HttpClient Anonymous { get; } = new() { Timeout = TimeSpan.FromSeconds(120) };

    public Task<JsonNode> GetAsync(string path, CancellationToken cancellationToken = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    /// <summary>A GET whose answer is not JSON (<c>/metrics</c>).</summary>
    public Task<string> GetTextAsync(string path, CancellationToken cancellationToken = default) =>
        SendForTextAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    public Task<JsonNode> PutAsync(string path, object body, CancellationToken cancellationToken = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Put, path) { Content = JsonContent.Create(body) }, cancellationToken);

    public Task<JsonNode> PostAsync(string path, object? body = null, CancellationToken cancellationToken = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) }, cancellationToken);

    public void Dispose()
    {
        _http.Dispose();
        Anonymous.Dispose();
    }

    private async Task<JsonNode> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var text = await SendForTextAsync(request, cancellationToken);
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
    }

    private async Task<string> SendForTextAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"{request.Method} {request.RequestUri} -> {(int)response.StatusCode}: {(text.Length > 300 ? text[..300] : text)}");
            }

            return text;
        }
    }
}
