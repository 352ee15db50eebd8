using FleetMfa.Load.Benchmarks;
using FleetMfa.Load.Measurement;
using FleetMfa.Testing.Fleet;

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
          key-flood     [--requests N]                                            N random keys from 16 loopback addresses; admin latency
          common: --org ID --concurrency N (64) --timeout SECONDS (600)
        FleetMfa.Load storage-layout --storage CONNECTION_STRING [--azurite-pid PID] [--counts 1000,10000,20000,50000,100000] [--operations 1000]
          table storage operations against entity count: grain-state row keys, the device index, one table or 16
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is ["storage-layout", .. var rest])
        {
            return await RunStorageLayoutAsync(rest, cancellationToken);
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
                "key-flood" => await KeyFloodBenchmark.RunAsync(options, api, cancellationToken),
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

    private static async Task<int> RunStorageLayoutAsync(string[] args, CancellationToken cancellationToken)
    {
        string? storage = null;
        int? azuritePid = null;
        int[] counts = [1_000, 10_000, 20_000, 50_000, 100_000];
        var operations = 1_000;
        try
        {
            for (var i = 0; i < args.Length; i += 2)
            {
                var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--storage": storage = value; break;
                    case "--azurite-pid": azuritePid = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
                    case "--counts": counts = [.. value.Split(',').Select(c => int.Parse(c, System.Globalization.CultureInfo.InvariantCulture))]; break;
                    case "--operations": operations = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
                    default: throw new ArgumentException($"unknown option {args[i]}");
                }
            }

            if (storage is null || counts.Any(c => c < 1) || operations < 1)
            {
                throw new ArgumentException("--storage is required; counts and operations must be positive");
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            await Console.Error.WriteLineAsync($"{ex.Message}\n{StorageLayoutBenchmark.Usage}");
            return 2;
        }

        try
        {
            Console.WriteLine(await StorageLayoutBenchmark.RunAsync(storage, azuritePid, counts, operations, cancellationToken));
            return 0;
        }
        catch (Azure.RequestFailedException ex)
        {
            Progress.Say($"storage-layout failed: {ex.Message}");
            return 1;
        }
    }
}
