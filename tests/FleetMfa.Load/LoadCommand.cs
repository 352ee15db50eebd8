using FleetMfa.Load.Benchmarks;
using FleetMfa.Load.Fleet;
using FleetMfa.Load.Measurement;

namespace FleetMfa.Load;

/// <summary>Runs one benchmark against a running silo; its figures are the last stdout line, <c>key=value …</c>.</summary>
public static class LoadCommand
{
    public const string Usage = """
        usage: FleetMfa.Load BENCHMARK --api URL --admin-key-file FILE [options]
          fanout        --devices N [--enable rollout|devices] [--work TMPFS_DIR]   N real agents; MFA on for all
          register      --devices N                                               N devices with identities, MFA on, TOTP off
          org-switch    --mqtt-port P --observer-user U --observer-password-file F  org TOTP on over a registered org
          grain-memory  --silo-pid PID [--heap-command CMD]                        silo memory per activated device grain
          queries       [--samples N]                                             detail reads, pages of 100, org summary
          common: --org ID --concurrency N (64) --timeout SECONDS (600)
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        LoadOptions options;
        try
        {
            options = LoadOptions.Parse(args);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            await Console.Error.WriteLineAsync($"{ex.Message}\n{Usage}");
            return 2;
        }

        using var api = new FleetClient(options.Api, options.AdminKey, options.Concurrency);
        try
        {
            var figures = options.Command switch
            {
                "fanout" => await FanoutBenchmark.RunAsync(options, api, cancellationToken),
                "register" => await RegisterCommand.RunAsync(options, api, cancellationToken),
                "org-switch" => await OrgSwitchBenchmark.RunAsync(options, api, cancellationToken),
                "grain-memory" => await GrainMemoryBenchmark.RunAsync(options, api, cancellationToken),
                "queries" => await QueriesBenchmark.RunAsync(options, api, cancellationToken),
                _ => throw new ArgumentException($"unknown benchmark '{options.Command}'"),
            };
            Console.WriteLine(figures);
            return 0;
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or TimeoutException or ArgumentException or IOException)
        {
            Progress.Say($"{options.Command} failed: {ex.Message}");
            return 1;
        }
    }
}
