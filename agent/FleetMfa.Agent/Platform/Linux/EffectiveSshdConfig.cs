using System.Globalization;

namespace FleetMfa.Agent.Platform.Linux;

/// <summary>What <c>sshd -T</c> printed: the configuration in effect for one connection, keyword (lower case) → values.</summary>
public sealed class EffectiveSshdConfig
{
    private readonly Dictionary<string, List<string>> _values;

    private EffectiveSshdConfig(Dictionary<string, List<string>> values) => _values = values;

    public static EffectiveSshdConfig Parse(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.Trim();
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0)
            {
                continue;
            }

            var key = line[..space].ToLowerInvariant();
            if (!values.TryGetValue(key, out var list))
            {
                values[key] = list = [];
            }

            list.Add(line[(space + 1)..].Trim());
        }

        return new EffectiveSshdConfig(values);
    }

    /// <summary>The first value of <paramref name="keyword"/>, or null.</summary>
    public string? this[string keyword] => _values.TryGetValue(keyword, out var list) ? list[0] : null;

    /// <summary>
    /// What <paramref name="mode"/> needs in effect, keyword by keyword. OpenSSH before 8.7 calls keyboard-interactive
    /// <c>challengeresponseauthentication</c>; either name counts. <c>ExposeAuthInfo</c> is not needed: sshd puts
    /// <c>SSH_AUTH_INFO_0</c> into the PAM environment whatever it says (measured on Debian 12's OpenSSH 9.2).
    /// </summary>
    public static IReadOnlyList<(string Keyword, string Value)> Required(SshMode mode) => mode switch
    {
        SshMode.PasswordThenCode =>
        [
            ("usepam", "yes"), ("kbdinteractiveauthentication", "yes"), ("passwordauthentication", "no"),
            ("pubkeyauthentication", "no"), ("authenticationmethods", "keyboard-interactive"),
        ],
        SshMode.PublicKeyThenCode =>
        [
            ("usepam", "yes"), ("kbdinteractiveauthentication", "yes"), ("passwordauthentication", "no"),
            ("pubkeyauthentication", "yes"), ("authenticationmethods", "publickey,keyboard-interactive"),
        ],
        _ => [],
    };

    /// <summary>Every keyword <paramref name="mode"/> needs that has another value here, as "keyword is 'x', not 'y'".</summary>
    public IReadOnlyList<string> Mismatches(SshMode mode)
    {
        var problems = new List<string>();
        foreach (var (keyword, value) in Required(mode))
        {
            var actual = this[keyword] ?? (keyword == "kbdinteractiveauthentication" ? this["challengeresponseauthentication"] : null);
            if (!string.Equals(actual, value, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"{keyword} is '{actual ?? "unset"}', not '{value}'");
            }
        }

        return problems;
    }

    /// <summary>Where sshd listens, wildcard addresses turned into the loopback address of their family.</summary>
    public IReadOnlyList<(string Host, int Port)> ListenEndpoints()
    {
        var endpoints = new List<(string, int)>();
        if (!_values.TryGetValue("listenaddress", out var listen))
        {
            return endpoints;
        }

        foreach (var value in listen)
        {
            var address = value.Split(' ')[0];
            var colon = address.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                continue;
            }

            var host = address[..colon].Trim('[', ']');
            endpoints.Add((host switch { "0.0.0.0" => "127.0.0.1", "::" => "::1", _ => host }, port));
        }

        return endpoints;
    }
}
