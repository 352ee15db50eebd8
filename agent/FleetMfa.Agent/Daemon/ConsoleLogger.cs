using Microsoft.Extensions.Logging;

namespace FleetMfa.Agent.Daemon;

/// <summary>A minimal line logger for the daemon (stdout → journald); keeps the NativeAOT binary free of the logging stack.</summary>
public sealed class ConsoleLogger(TextWriter output, TimeProvider time, LogLevel minimum = LogLevel.Information) : ILogger
{
    private readonly Lock _lock = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var line = $"{time.GetUtcNow():O} {logLevel.ToString().ToLowerInvariant()} {formatter(state, exception)}{(exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})")}";
        lock (_lock)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }
}
