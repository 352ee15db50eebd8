namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// The folder for Azurite's files, silo data dirs and process logs: under <c>FLEETMFA_TEST_DATA</c> when deploy/test.sh
/// sets it (kept for inspection, the script removes it after a green run), else a temp folder removed at the end.
/// </summary>
public sealed class TestWorkspace : IDisposable
{
    private readonly bool _owned;

    private TestWorkspace(string root, bool owned)
    {
        Root = root;
        _owned = owned;
    }

    public string Root { get; }

    public static TestWorkspace Create()
    {
        if (Environment.GetEnvironmentVariable("FLEETMFA_TEST_DATA") is { Length: > 0 } shared)
        {
            var root = Path.Combine(shared, "e2e", $"{DateTime.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid().ToString("N")[..6]}");
            Directory.CreateDirectory(root);
            return new TestWorkspace(root, owned: false);
        }

        return new TestWorkspace(Directory.CreateTempSubdirectory("fleetmfa-e2e-").FullName, owned: true);
    }

    /// <summary>A new, empty folder named after <paramref name="name"/>.</summary>
    public string NewDirectory(string name)
    {
        var path = Path.Combine(Root, $"{name}-{Guid.NewGuid().ToString("N")[..6]}");
        Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose()
    {
        if (!_owned)
        {
            return;
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A straggling writer; the temp folder is cleaned up by the OS eventually.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
