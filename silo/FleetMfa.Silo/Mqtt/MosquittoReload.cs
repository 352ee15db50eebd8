namespace FleetMfa.Silo.Mqtt;

/// <summary>How Mosquitto learns that the silo changed its files: device accounts in its <c>password_file</c>, or its revocation files.</summary>
public enum MosquittoReload
{
    /// <summary>The silo sends the broker SIGHUP (it must share the broker's pid namespace and read its <c>pid_file</c>).</summary>
    Signal,

    /// <summary>
    /// Something next to the broker reloads it when the file changes (<c>deploy/mosquitto/reload-on-change.sh</c>):
    /// for silos in other containers or pods, which cannot signal the broker.
    /// </summary>
    External,
}
