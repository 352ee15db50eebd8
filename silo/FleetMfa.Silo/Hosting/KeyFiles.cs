
namespace FleetMfa.Silo.Hosting;

/// <summary>Keys generated once into the data directory: the folder is <c>0700</c>, every key file <c>0600</c>.</summary>
public static class KeyFiles
{
    public const string AdminKeyFile = "admin.key";
    public const string MasterKeyFile = "master.key";
    public const string SigningKeyFile = "signing.key";

    /// <summary>The FleetMfa CA: its certificate and private key, PEM (see <c>Tls/FleetMfaCertificateAuthority</c>).</summary>
    public const string CaFile = "ca.pem";

    public static string EnsureDataDirectory(string path)
    {
        var full = Path.GetFullPath(path);
        if (!Directory.Exists(full))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(full);
            }
            else
            {
                Directory.CreateDirectory(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        return full;
    }

    /// <summary>Reads the key in <paramref name="fileName"/>, creating it with <paramref name="generate"/> the first time.</summary>
    public static string ReadOrCreate(string dataDirectory, string fileName, Func<string> generate)
    {
        ArgumentNullException.ThrowIfNull(generate);
        var path = Path.Combine(dataDirectory, fileName);
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }

        var key = generate();
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(key);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        // Two silos sharing a data dir must agree on one key: the first rename wins, the loser reads it.
        try
        {
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
            return File.ReadAllText(path).Trim();
        }

        return key;
    }
}
