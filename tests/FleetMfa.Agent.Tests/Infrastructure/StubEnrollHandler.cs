using System.Net;
using System.Text;

namespace FleetMfa.Agent.Tests.Infrastructure;

/// <summary>Answers <c>POST /api/agent/enroll</c> as the control plane does, without one.</summary>
public sealed class StubEnrollHandler : HttpMessageHandler
{
    public const string Response = """
        {"orgId":"acme","deviceId":"dev-9","mqtt":{"host":"127.0.0.1","port":1883,"useTls":false,"username":"acme/dev-9","password":"stub-mqtt-password","topicPrefix":"fleetmfa/v1"}}
        """;

    public int Requests { get; private set; }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests++;
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Response, Encoding.UTF8, "application/json") });
    }
}
