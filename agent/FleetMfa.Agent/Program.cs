using FleetMfa.Agent.Cli;

using var stopping = new CancellationTokenSource();

// Only the commands that keep running stop gracefully; verify and status take milliseconds, and registering
// signal handlers would start the runtime's signal thread on every PAM login.
var longRunning = args is ["run" or "enroll", ..];
using var sigterm = longRunning
    ? System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
    {
        context.Cancel = true;
        stopping.Cancel();
    })
    : null;
if (longRunning)
{
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        stopping.Cancel();
    };
}

return await AgentCli.RunAsync(args, Console.In, Console.Out, Console.Error, TimeProvider.System, stopping.Token);
