namespace FleetMfa.Agent.Cli;

/// <summary>Parses <c>COMMAND [--name value | --flag]...</c>; unknown or repeated options are usage errors.</summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private CommandLine(string command) => Command = command;

    public string Command { get; }

    public static CommandLine Parse(IReadOnlyList<string> args, IReadOnlySet<string> allowed, IReadOnlySet<string>? flags = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(allowed);
        if (args.Count == 0)
        {
            throw new UsageException("missing command");
        }

        var line = new CommandLine(args[0]);
        for (var i = 1; i < args.Count; i++)
        {
            var name = args[i];
            if (flags is not null && name.StartsWith("--", StringComparison.Ordinal) && flags.Contains(name[2..]))
            {
                if (!line._flags.Add(name[2..]))
                {
                    throw new UsageException($"option '{name}' given twice");
                }

                continue;
            }

            if (!name.StartsWith("--", StringComparison.Ordinal) || !allowed.Contains(name[2..]))
            {
                throw new UsageException($"unknown option '{name}'");
            }

            if (i + 1 >= args.Count)
            {
                throw new UsageException($"option '{name}' needs a value");
            }

            if (!line._options.TryAdd(name[2..], args[++i]))
            {
                throw new UsageException($"option '{name}' given twice");
            }
        }

        return line;
    }

    public bool Flag(string name) => _flags.Contains(name);

    public string? Optional(string name) => _options.GetValueOrDefault(name);

    public string Required(string name) => Optional(name) ?? throw new UsageException($"--{name} is required");
}
