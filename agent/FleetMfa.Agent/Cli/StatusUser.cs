namespace FleetMfa.Agent.Cli;

public sealed record StatusUser(string UserId, string LocalUsername, int SecretVersion);
