using System.Net;
using System.Security.Cryptography.X509Certificates;
using FleetMfa.EndToEnd.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Connections.Security;
using Orleans.Runtime;

namespace FleetMfa.EndToEnd;

/// <summary>
/// A two-silo cluster with Azure Table membership speaks Orleans only over mutual TLS with certificates of its
/// cluster's CA: the silos find each other over it, a plain Orleans client cannot use either gateway, nor a client
/// whose certificate another CA issued; a client with a certificate of the cluster's CA can (so the refusals are about
/// the certificate, not a broken gateway). A silo told to cluster without certificates does not start.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class ClusterTlsTests(EndToEndFixture fixture)
{
    private static readonly TimeSpan ConnectDeadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_gateways_of_a_two_silo_cluster_serve_only_Orleans_clients_with_a_certificate_of_the_cluster_CA()
    {
        var certificates = await ClusterEnvironment.MakeCertificatesAsync(fixture.Workspace.NewDirectory("tls-certs"), "silo", "client");
        var foreign = await ClusterEnvironment.MakeCertificatesAsync(fixture.Workspace.NewDirectory("tls-foreign"), "client");
        var shared = await ClusterEnvironment.CreateAsync(fixture.Workspace, "tls", certificates);
        await using var first = await SiloProcess.StartAsync(fixture.NewSiloSettings("tls-a") with { Environment = shared });
        await using var second = await SiloProcess.StartAsync(fixture.NewSiloSettings("tls-b") with { Environment = shared });
        var clusterId = shared["FLEETMFA_CLUSTER_ID"];
        var authority = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(certificates, "ca.pem"));

        // The silos reach each other only through TLS: a two-silo view on both sides proves their handshake works.
        foreach (var silo in new[] { first, second })
        {
            await Poll.UntilAsync(
                async () => (int?)(await silo.Anonymous.GetAsync("/healthz")).Json["activeSilos"] ?? 0,
                n => n == 2,
                "both silos see a two-silo cluster");
        }

        // Refused, not merely slow: the client tries once, and the failure must be the gateway's, never the deadline.
        foreach (var silo in new[] { first, second })
        {
            await AssertRefusedAsync(() => ActiveSilosAsync(silo.GatewayPort, clusterId, tls: null, retry: false));
            await AssertRefusedAsync(() => ActiveSilosAsync(silo.GatewayPort, clusterId, (Certificate(foreign, "client"), authority), retry: false));
        }

        Assert.Equal(2, await ActiveSilosAsync(second.GatewayPort, clusterId, (Certificate(certificates, "client"), authority)));
        Assert.False(first.Process.HasExited || second.Process.HasExited);
    }

    [Fact]
    public async Task A_silo_told_to_cluster_without_certificates_does_not_start()
    {
        var environment = await ClusterEnvironment.CreateAsync(fixture.Workspace, "tls-none");
        environment.Remove("FLEETMFA_CLUSTER_CERT");
        var silo = SiloProcess.Launch(fixture.NewSiloSettings("tls-none") with { Environment = environment });
        await using (silo)
        {
            Assert.Equal(2, await silo.Process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("FLEETMFA_CLUSTER_CERT", silo.Output, StringComparison.Ordinal);
        }
    }

    private static async Task AssertRefusedAsync(Func<Task<int>> connect)
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(connect);
        Assert.False(refused is OperationCanceledException, $"the connect ran into its deadline instead of being refused: {refused}");
    }

    private static X509Certificate2 Certificate(string directory, string name) =>
        X509Certificate2.CreateFromPemFile(Path.Combine(directory, $"{name}.pem"), Path.Combine(directory, $"{name}.key"));

    /// <summary>
    /// Connects a plain Orleans client (with <paramref name="tls"/>'s certificate, when given) and asks the management
    /// grain how many silos are active; without <paramref name="retry"/> a failed connect is not tried again.
    /// </summary>
    private static async Task<int> ActiveSilosAsync(int gatewayPort, string clusterId, (X509Certificate2 Certificate, X509Certificate2 Authority)? tls, bool retry = true)
    {
        using var host = new HostBuilder()
            .UseOrleansClient(client =>
            {
                client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, gatewayPort));
                if (!retry)
                {
                    client.UseConnectionRetryFilter((_, _) => Task.FromResult(false));
                }

                client.Configure<ClusterOptions>(o =>
                {
                    o.ServiceId = "fleetmfa";
                    o.ClusterId = clusterId;
                });
                if (tls is var (certificate, authority))
                {
                    client.UseTls(certificate, o =>
                    {
                        o.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
                        o.RemoteCertificateValidation = (server, _, _) => server is not null && IssuedBy(server, authority);
                    });
                }
            })
            .Build();
        using var deadline = new CancellationTokenSource(ConnectDeadline);
        await host.StartAsync(deadline.Token);
        var hosts = await host.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(deadline.Token);
        await host.StopAsync(CancellationToken.None);
        return hosts.Count;
    }

    private static bool IssuedBy(X509Certificate2 certificate, X509Certificate2 authority)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
