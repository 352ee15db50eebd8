namespace FleetMfa.Protocol.Tls;

/// <summary>
/// A connect key as the admin API hands it out: <c>{key}:sha256:{fingerprint}</c>, the org's key followed by the
/// SHA-256 of the control plane's CA certificate (as a <c>kubeadm join</c> token carries its CA hash), so a device that
/// has nothing but the key can tell the real control plane from anything in the middle. The control plane stores only
/// the hash of the key's secret; the fingerprint is public.
/// </summary>
public static class ConnectKeys
{
    public const string PinSeparator = ":sha256:";

    public static string WithCaPin(string key, string caFingerprint)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (!CaFingerprint.IsWellFormed(caFingerprint))
        {
            throw new ArgumentException("A CA fingerprint is 64 lowercase hex digits.", nameof(caFingerprint));
        }

        return $"{key}{PinSeparator}{caFingerprint}";
    }

    /// <summary>
    /// Splits <paramref name="value"/> into the key and its CA fingerprint (null for a key without one, as keys made
    /// before pinning were). False when a pin is there but is not 64 lowercase hex digits, or the key part is empty:
    /// such a value is refused, never read as an unpinned key.
    /// </summary>
    public static bool TrySplit(string value, out string key, out string? caFingerprint)
    {
        ArgumentNullException.ThrowIfNull(value);
        key = value;
        caFingerprint = null;
        var at = value.IndexOf(PinSeparator, StringComparison.Ordinal);
        if (at < 0)
        {
            return value.Length > 0 && !value.Contains(':', StringComparison.Ordinal);
        }

        var pin = value[(at + PinSeparator.Length)..];
        if (at == 0 || !CaFingerprint.IsWellFormed(pin))
        {
            return false;
        }

        (key, caFingerprint) = (value[..at], pin);
        return true;
    }
}
