namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// Mosquitto as the external broker (section <c>FleetMfa:Mosquitto</c>). Over TLS (<c>FLEETMFA_BROKER=mqtts://…</c>,
/// deploy/mosquitto/fleetmfa-tls.conf.template) devices log in with the client certificates the FleetMfa CA issued
/// them and the silo keeps the broker's revocation files (<see cref="CrlFile"/>, <see cref="RevokedFile"/>); on plain
/// MQTT (<c>mqtt://…</c>, development) device accounts go into its <c>password_file</c>. Either way its
/// <c>acl_file</c> grants each username <c>{orgId}/{deviceId}</c> its own topics with <c>pattern</c> lines (see
/// <c>deploy/mosquitto/</c>), and the silo must share a file system with the broker.
/// </summary>
public sealed class MosquittoOptions
{
    public const string SectionName = "FleetMfa:Mosquitto";

    /// <summary>The broker's <c>password_file</c>; the silo appends device accounts to it.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>
    /// The broker's <c>crlfile</c> (<c>FLEETMFA_MOSQUITTO_CRL_FILE</c>; TLS): the silo rewrites it, signed by the FleetMfa
    /// CA, on every revocation and every 12 hours (it is valid for <see cref="CrlDays"/>).
    /// </summary>
    public string? CrlFile { get; set; }

    /// <summary>
    /// The fleetmfa_limits plugin's <c>plugin_opt_revoked_file</c> (<c>FLEETMFA_MOSQUITTO_REVOKED_FILE</c>; TLS): the
    /// revoked certificates as "SERIAL USERNAME" lines, rewritten with the CRL.
    /// </summary>
    public string? RevokedFile { get; set; }

    /// <summary>How long a CRL the silo writes is valid (its nextUpdate); Mosquitto refuses every device once it expired. Default 7.</summary>
    public int CrlDays { get; set; } = 7;

    /// <summary>The broker's <c>pid_file</c>; the silo sends it SIGHUP so new accounts and revocations take effect (with <see cref="MosquittoReload.Signal"/>).</summary>
    public string? PidFile { get; set; }

    /// <summary>Who reloads the broker after the silo changed its files: the silo by signal (default), or a watcher next to the broker.</summary>
    public MosquittoReload Reload { get; set; } = MosquittoReload.Signal;

    /// <summary>PBKDF2-SHA512 iterations of new entries (<c>mosquitto_passwd</c>'s default is 101).</summary>
    public int Iterations { get; set; } = 101;

    /// <summary>Accounts created within this window share one broker reload.</summary>
    public TimeSpan ReloadDelay { get; set; } = TimeSpan.FromMilliseconds(200);
}
