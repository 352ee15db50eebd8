using System.Net;
using System.Text;
using FleetMfa.Protocol.Signing;

namespace FleetMfa.Agent.Tests.Infrastructure;

/// <summary>Answers <c>POST /api/agent/enroll</c> as the control plane does (or with <c>signingKey</c> as given), without one.</summary>
public sealed class StubEnrollHandler(string? signingKey = null) : HttpMessageHandler
{
    /// <summary>The control plane's desired-state key this stub hands out.</summary>
    public static DesiredStateSigner Signer { get; } = DesiredStateSigner.FromPrivateKey(DesiredStateSigner.NewPrivateKey());

    /// <summary>The <c>signingKey</c> member a control plane sends: <see cref="Signer"/>'s id and public key.</summary>
    public static string SignerJson { get; } = $$"""{"keyId":"{{Signer.KeyId}}","publicKey":"{{Convert.ToBase64String(Signer.PublicKey)}}"}""";

    public string Response { get; } = $$"""
        {"orgId":"acme","deviceId":"dev-9","mqtt":{"host":"127.0.0.1","port":1883,"useTls":false,"username":"acme/dev-9","password":"stub-mqtt-password","topicPrefix":"fleetmfa/v1"},"signingKey":{{signingKey ?? SignerJson}}}
        """;

    public int Requests { get; private set; }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests++;
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Response, Encoding.UTF8, "application/json") });
    }
}
