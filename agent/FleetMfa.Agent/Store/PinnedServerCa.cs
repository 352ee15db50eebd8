namespace FleetMfa.Agent.Store;

/// <summary>
/// The control plane's CA as enrollment pinned it: the SHA-256 the connect key carried and the certificate (DER) whose
/// hash it is. Kept in <c>config.json</c>, so any later call to the control plane trusts this CA and nothing else.
/// </summary>
public sealed record PinnedServerCa(string Sha256, byte[] Certificate);
