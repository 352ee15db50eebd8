namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// Mosquitto as the external broker (section <c>FleetMfa:Mosquitto</c>): device accounts go into its
/// <c>password_file</c>, and its <c>acl_file</c> grants each username <c>{orgId}/{deviceId}</c> its own topics with
/// <c>pattern</c> lines (see <c>deploy/mosquitto/</c>). The silo must share a file system with the broker.
/// </summary>
public sealed class MosquittoOptions
{
    public const string SectionName = "FleetMfa:Mosquitto";

    /// <summary>The broker's <c>password_file</c>; the silo appends device accounts to it.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>The broker's <c>pid_file</c>; the silo sends it SIGHUP so new accounts take effect (with <see cref="MosquittoReload.Signal"/>).</summary>
    public string? PidFile { get; set; }

    /// <summary>Who reloads the broker after new accounts: the silo by signal (default), or a watcher next to the broker.</summary>
    public MosquittoReload Reload { get; set; } = MosquittoReload.Signal;

    /// <summary>PBKDF2-SHA512 iterations of new entries (<c>mosquitto_passwd</c>'s default is 101).</summary>
    public int Iterations { get; set; } = 101;

    /// <summary>Accounts created within this window share one broker reload.</summary>
    public TimeSpan ReloadDelay { get; set; } = TimeSpan.FromMilliseconds(200);
}
