using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace AotPam;

public static class Pam
{
    /// <summary>What an in-process module would do per login at the least: read a file and run one HMAC (the TOTP core).</summary>
    [UnmanagedCallersOnly(EntryPoint = "pam_sm_authenticate")]
    public static int Authenticate(nint pamh, int flags, int argc, nint argv)
    {
        var data = File.Exists("/etc/hostname") ? File.ReadAllBytes("/etc/hostname") : new byte[8];
#pragma warning disable CA5350 // TOTP's HMAC-SHA1, as the agent uses it.
        var mac = HMACSHA1.HashData(new byte[20], data);
#pragma warning restore CA5350
        return mac.Length == 20 ? 0 : 7;
    }
}
