using FleetMfa.Load;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

return await LoadCommand.RunAsync(args, stop.Token);
