using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace FleetMfa.Tests.Packaging;

/// <summary>
/// deploy/docker/*.Dockerfile, read as text (no Docker engine here to build them): everything they copy exists, and
/// the silo image gets every project the silo is built from.
/// </summary>
public sealed partial class DockerfileTests
{
    public static TheoryData<string> Dockerfiles() => [.. Directory.GetFiles(DeployFiles.PathOf("docker"), "*.Dockerfile").Select(f => Path.GetFileName(f))];

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Everything_copied_from_the_build_context_exists(string dockerfile)
    {
        var copies = CopySources(dockerfile).ToList();
        Assert.NotEmpty(copies);
        foreach (var source in copies)
        {
            var path = Path.Combine(DeployFiles.RepoRoot, source);
            Assert.True(File.Exists(path) || Directory.Exists(path), $"{dockerfile} copies {source}, which does not exist");
        }

        Assert.True(File.Exists(DeployFiles.PathOf("docker", dockerfile + ".dockerignore")), "each Dockerfile keeps bin/ and obj/ out of its context");
    }

    [Fact]
    public void The_silo_image_copies_every_project_the_silo_references()
    {
        var copied = CopySources("silo.Dockerfile").ToList();
        foreach (var project in ProjectClosure(Path.Combine(DeployFiles.RepoRoot, "silo", "FleetMfa.Silo", "FleetMfa.Silo.csproj")))
        {
            var relative = Path.GetRelativePath(DeployFiles.RepoRoot, project).Replace('\\', '/');
            var folder = Path.GetDirectoryName(relative)!.Replace('\\', '/') + "/";
            Assert.Contains(relative, copied);
            Assert.True(copied.Any(c => folder.StartsWith(c.TrimEnd('/') + "/", StringComparison.Ordinal)), $"the sources of {relative} are not copied");
        }

        var text = File.ReadAllText(DeployFiles.PathOf("docker", "silo.Dockerfile"));
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"FleetMfa.Silo.dll\"]", text, StringComparison.Ordinal);
        Assert.Contains("EXPOSE 5080 5443 11111 30000", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_agent_image_is_built_by_deploy_build_agent_sh()
    {
        var text = File.ReadAllText(DeployFiles.PathOf("docker", "agent.Dockerfile"));
        Assert.Contains("RUN bash deploy/build-agent.sh /out", text, StringComparison.Ordinal);
        Assert.Contains("COPY --from=build /out/fleetmfa-agent /usr/bin/fleetmfa-agent", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_mosquitto_image_adds_the_rate_limit_plugin_where_init_broker_sh_points_the_config_and_openssl()
    {
        var text = File.ReadAllText(DeployFiles.PathOf("docker", "mosquitto.Dockerfile"));
        Assert.Contains("COPY deploy/mosquitto/plugin/fleetmfa_limits.c /src/", text, StringComparison.Ordinal);
        Assert.Contains("-Wall -Wextra -Werror -fPIC -shared", text, StringComparison.Ordinal);
        Assert.Contains("FROM eclipse-mosquitto:2.0.20", text, StringComparison.Ordinal);
        Assert.Contains("COPY --from=plugin --chmod=0644 /src/fleetmfa_limits.so /usr/lib/fleetmfa/fleetmfa_limits.so", text, StringComparison.Ordinal);

        var init = File.ReadAllText(DeployFiles.PathOf("mosquitto", "init-broker.sh"));
        Assert.Contains("${FLEETMFA_LIMITS_PLUGIN:-/usr/lib/fleetmfa/fleetmfa_limits.so}", init, StringComparison.Ordinal);

        // init-broker.sh issues Mosquitto's server certificate and first CRL with openssl (through make-tls.sh), in the
        // final image (the broker's stage, not the plugin's).
        Assert.Contains("sh \"$here/make-tls.sh\"", init, StringComparison.Ordinal);
        var final = text[text.LastIndexOf("FROM ", StringComparison.Ordinal)..];
        Assert.Contains("RUN apk add --no-cache openssl", final, StringComparison.Ordinal);
    }

    /// <summary>The sources of every <c>COPY</c> from the build context (not <c>--from=</c> another stage).</summary>
    private static IEnumerable<string> CopySources(string dockerfile)
    {
        foreach (var line in File.ReadLines(DeployFiles.PathOf("docker", dockerfile)))
        {
            var match = CopyLine().Match(line);
            if (match.Success)
            {
                var words = match.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                foreach (var source in words[..^1])
                {
                    yield return source;
                }
            }
        }
    }

    private static HashSet<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(project)]);
        while (pending.TryPop(out var current))
        {
            if (!seen.Add(current))
            {
                continue;
            }

            foreach (var reference in XDocument.Load(current).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")!.Value.Replace('\\', Path.DirectorySeparatorChar);
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(current)!, include)));
            }
        }

        return seen;
    }

    [GeneratedRegex(@"^COPY\s+(?!--from)(.+)$")]
    private static partial Regex CopyLine();
}
