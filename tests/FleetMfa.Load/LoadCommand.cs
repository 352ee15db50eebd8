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
        FleetMfa.Load storage-row-keys --storage CONNECTION_STRING [--counts 1000,5000,10000,20000] [--pairs 1000]
          table storage point operations against entity count, Orleans' key layout against distinct row keys
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is ["storage-row-keys", .. var rest])
        {
            return await RunStorageRowKeysAsync(rest, cancellationToken);
        }

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

    private static async Task<int> RunStorageRowKeysAsync(string[] args, CancellationToken cancellationToken)
    {
        string? storage = null;
        int[] counts = [1_000, 5_000, 10_000, 20_000];
        var pairs = 1_000;
        try
        {
            for (var i = 0; i < args.Length; i += 2)
            {
                var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--storage": storage = value; break;
                    case "--counts": counts = [.. value.Split(',').Select(c => int.Parse(c, System.Globalization.CultureInfo.InvariantCulture))]; break;
                    case "--pairs": pairs = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
                    default: throw new ArgumentException($"unknown option {args[i]}");
                }
            }

            if (storage is null || counts.Any(c => c < 1) || pairs < 1)
            {
                throw new ArgumentException("--storage is required; counts and pairs must be positive");
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            await Console.Error.WriteLineAsync($"{ex.Message}\n{StorageRowKeyBenchmark.Usage}");
            return 2;
        }

        try
        {
            Console.WriteLine(await StorageRowKeyBenchmark.RunAsync(storage, counts, pairs, cancellationToken));
            return 0;
        }
        catch (Azure.RequestFailedException ex)
        {
            Progress.Say($"storage-row-keys failed: {ex.Message}");
            return 1;
        }
    }
}
