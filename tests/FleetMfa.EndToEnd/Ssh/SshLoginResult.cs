namespace FleetMfa.EndToEnd.Ssh;

/// <summary>Whether the login got in (and ran <c>id -un</c> as the user), and every keyboard-interactive prompt the server showed.</summary>
public sealed record SshLoginResult(bool LoggedIn, IReadOnlyList<string> Prompts, string? Error)
{
    public bool AskedForCode => Prompts.Any(p => p.Contains("Verification code", StringComparison.Ordinal));

    public bool AskedForPassword => Prompts.Any(p => p.Contains("Password", StringComparison.OrdinalIgnoreCase));

    public override string ToString() => $"LoggedIn={LoggedIn}, Prompts=[{string.Join(" | ", Prompts)}], Error={Error}";
}
