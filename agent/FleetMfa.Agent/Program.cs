using FleetMfa.Agent.Cli;

using var stopping = new CancellationTokenSource();
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stopping.Cancel();
});
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stopping.Cancel();
};

return await AgentCli.RunAsync(args, Console.In, Console.Out, Console.Error, TimeProvider.System, stopping.Token);
