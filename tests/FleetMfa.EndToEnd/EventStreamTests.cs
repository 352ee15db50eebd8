using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>
/// <c>GET /api/orgs/{orgId}/events</c>, the dashboard's live updates: guarded like every org route, bounded per key,
/// and pushing what changed in grain state.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class EventStreamTests(EndToEndFixture fixture)
{
    private static readonly TimeSpan EventDeadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_stream_needs_a_key_of_its_org_and_valid_parameters()
    {
        var orgId = TestIds.Unique("events-auth");
        await fixture.Silo.Admin.CreateOrgAsync(orgId);
        var other = TestIds.Unique("events-other");
        await fixture.Silo.Admin.CreateOrgAsync(other);
        var otherKey = await fixture.Silo.Admin.CreateOperatorKeyAsync(other);

        (await fixture.Silo.Anonymous.GetAsync($"/api/orgs/{orgId}/events")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        (await fixture.Silo.WithKey(otherKey).GetAsync($"/api/orgs/{orgId}/events")).Problem(HttpStatusCode.Forbidden, "forbidden");
        (await fixture.Silo.Admin.GetAsync($"/api/orgs/{orgId}/events?limit=0")).Problem(HttpStatusCode.BadRequest, "validation");
        (await fixture.Silo.Admin.GetAsync($"/api/orgs/{orgId}/events?limit=10&os=beos")).Problem(HttpStatusCode.BadRequest, "validation");
        (await fixture.Silo.Admin.GetAsync($"/api/orgs/{orgId}/events?device=NOT_A_SLUG")).Problem(HttpStatusCode.BadRequest, "validation");

        // A missing org ends the stream with one error event.
        await using var missing = await EventReader.OpenAsync(fixture.Silo, fixture.Silo.AdminKey, $"/api/orgs/{TestIds.Unique("nope")}/events");
        var error = await missing.NextAsync("error", EventDeadline);
        Assert.Equal("not-found", (string?)error["code"]);
    }

    [Fact]
    public async Task A_stream_pushes_the_org_the_watched_page_and_then_each_change()
    {
        var admin = fixture.Silo.Admin;
        var orgId = TestIds.Unique("events-push");
        await admin.CreateOrgAsync(orgId);
        await admin.RegisterDeviceAsync(orgId, "web-01");
        var key = await admin.CreateOperatorKeyAsync(orgId);

        await using var events = await EventReader.OpenAsync(fixture.Silo, key, $"/api/orgs/{orgId}/events?os=linux&limit=10&device=web-01");
        Assert.Contains("no-store", events.CacheControl, StringComparison.Ordinal);
        var org = await events.NextAsync("org", EventDeadline);
        Assert.Equal(1, (int)org["devices"]!["total"]!);
        var page = await events.NextAsync("devices", EventDeadline);
        Assert.Equal(["web-01"], page["items"]!.AsArray().Select(d => (string)d!["deviceId"]!));
        var device = await events.NextAsync("device", EventDeadline);
        Assert.Equal("disabled", (string?)device["detail"]!["mfa"]!["status"]);

        // Changes made through the API arrive as new events; a Mac stays out of the Linux page.
        await admin.PutAsync($"/api/orgs/{orgId}/devices/mac-01", new { hostname = "mac-01", os = "macos", osVersion = "14.5" });
        await admin.RegisterDeviceAsync(orgId, "web-02");
        page = await events.NextMatchingAsync("devices", p => p["items"]!.AsArray().Count == 2, EventDeadline);
        Assert.Equal(["web-01", "web-02"], page["items"]!.AsArray().Select(d => (string)d!["deviceId"]!));
        await admin.EnableMfaAsync(orgId, "web-01");
        device = await events.NextMatchingAsync("device", d => (string?)d["detail"]!["mfa"]!["status"] == "pending", EventDeadline);
        Assert.True((bool)device["detail"]!["mfa"]!["desired"]!);
        org = await events.NextMatchingAsync("org", o => (int)o["devices"]!["pending"]! == 1, EventDeadline);
        Assert.Equal(3, (int)org["devices"]!["total"]!);
    }

    [Fact]
    public async Task One_key_holds_a_bounded_number_of_streams()
    {
        var orgId = TestIds.Unique("events-bound");
        await fixture.Silo.Admin.CreateOrgAsync(orgId);
        var key = await fixture.Silo.Admin.CreateOperatorKeyAsync(orgId);
        var path = $"/api/orgs/{orgId}/events";

        var open = new List<EventReader>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                open.Add(await EventReader.OpenAsync(fixture.Silo, key, path));
            }

            (await fixture.Silo.WithKey(key).GetAsync(path)).Problem(HttpStatusCode.TooManyRequests, "too-many-streams");

            // Another key is not affected, and closing a stream frees its place.
            await using (await EventReader.OpenAsync(fixture.Silo, await fixture.Silo.Admin.CreateOperatorKeyAsync(orgId), path))
            {
            }

            await open[0].DisposeAsync();
            open.RemoveAt(0);
            var again = await Poll.UntilAsync(
                () => EventReader.TryOpenAsync(fixture.Silo, key, path),
                reader => reader is not null,
                "a stream accepted after one closed");
            open.Add(again!);
        }
        finally
        {
            foreach (var reader in open)
            {
                await reader.DisposeAsync();
            }
        }
    }

    /// <summary>One open event stream, read with the BCL's SSE parser.</summary>
    private sealed class EventReader : IAsyncDisposable
    {
        private readonly HttpClient _http;
        private readonly HttpResponseMessage _response;
        private readonly IAsyncEnumerator<SseItem<string>> _items;
        private readonly CancellationTokenSource _cancel = new();
        private readonly List<(string EventType, string Data)> _unread = [];

        private EventReader(HttpClient http, HttpResponseMessage response, Stream body)
        {
            _http = http;
            _response = response;
            _items = SseParser.Create(body).EnumerateAsync(_cancel.Token).GetAsyncEnumerator(_cancel.Token);
        }

        public string? CacheControl => _response.Headers.CacheControl?.ToString();

        public static async Task<EventReader> OpenAsync(SiloProcess silo, string key, string path) =>
            await TryOpenAsync(silo, key, path) ?? throw new InvalidOperationException($"GET {path} did not open a stream.");

        public static async Task<EventReader?> TryOpenAsync(SiloProcess silo, string key, string path)
        {
            var http = new HttpClient { BaseAddress = silo.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            request.Headers.Accept.ParseAdd("text/event-stream");
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                response.Dispose();
                http.Dispose();
                return null;
            }

            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            return new EventReader(http, response, await response.Content.ReadAsStreamAsync());
        }

        public Task<JsonNode> NextAsync(string type, TimeSpan deadline) => NextMatchingAsync(type, _ => true, deadline);

        /// <summary>
        /// The first event of <paramref name="type"/> that satisfies <paramref name="condition"/>: from those already read
        /// and not yet taken (one poll yields several types at once), else read on until one comes.
        /// </summary>
        public async Task<JsonNode> NextMatchingAsync(string type, Func<JsonNode, bool> condition, TimeSpan deadline)
        {
            foreach (var (eventType, data) in _unread)
            {
                if (eventType == type && JsonNode.Parse(data) is { } earlier && condition(earlier))
                {
                    _unread.RemoveAll(e => ReferenceEquals(e.Data, data));
                    return earlier;
                }
            }

            using var timeout = new CancellationTokenSource(deadline);
            var seen = new List<string>();
            while (true)
            {
                var next = _items.MoveNextAsync().AsTask();
                if (await Task.WhenAny(next, Task.Delay(Timeout.InfiniteTimeSpan, timeout.Token).ContinueWith(_ => { }, TaskScheduler.Default)) != next)
                {
                    Assert.Fail($"no '{type}' event matched within {deadline.TotalSeconds} s; seen: {string.Join(" | ", seen)}");
                }

                Assert.True(await next, $"the stream ended before a '{type}' event; seen: {string.Join(" | ", seen)}");
                var item = _items.Current;
                seen.Add($"{item.EventType}: {item.Data}");
                if (item.EventType == type && JsonNode.Parse(item.Data) is { } data && condition(data))
                {
                    return data;
                }

                _unread.Add((item.EventType, item.Data));
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _cancel.CancelAsync();
            _response.Dispose();
            _http.Dispose();
            _cancel.Dispose();
        }
    }
}
