using System.Text;
using FleetMfa.Agent.Store;

namespace FleetMfa.Agent.Platform.Mac;

/// <summary>
/// Runs <see cref="LoginWindowPlan"/> against the authorization database; the right as it was before FleetMfa's first
/// change is kept in <c>BACKUP/system.login.console.plist</c> and written back (then dropped) when MFA goes off.
/// </summary>
public sealed class LoginWindowEnforcer(IAuthorizationDb db, string backupDirectory)
{
    private string BackupFile => Path.Combine(backupDirectory, $"{LoginWindowPlan.LoginWindowRight}.plist");

    public IReadOnlyList<string> OtherPlugins() =>
        LoginWindowPlan.OtherPlugins(AuthorizationRightPlist.Mechanisms(db.ReadRight(LoginWindowPlan.LoginWindowRight)), db.InstalledPlugins());

    public PolicyResult Apply(PolicyRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var right = LoginWindowPlan.LoginWindowRight;
        var plist = db.ReadRight(right);
        var current = AuthorizationRightPlist.Mechanisms(plist);
        var wanted = LoginWindowPlan.Mechanisms(current, request.Mfa, request.Policy.Macos);
        if (!request.Mfa && AtomicFile.ReadOrNull(BackupFile) is { } original)
        {
            // Off: the right exactly as it was, unless someone has changed it since in ways other than ours.
            var originalText = Encoding.UTF8.GetString(original);
            var restored = AuthorizationRightPlist.Mechanisms(originalText).SequenceEqual(wanted, StringComparer.Ordinal);
            var changed = !current.SequenceEqual(wanted, StringComparer.Ordinal);
            if (changed)
            {
                db.WriteRight(right, restored ? originalText : AuthorizationRightPlist.WithMechanisms(plist, wanted));
            }

            File.Delete(BackupFile);
            return changed ? new PolicyResult([$"removed FleetMfa from {right}"]) : PolicyResult.Unchanged;
        }

        if (current.SequenceEqual(wanted, StringComparer.Ordinal))
        {
            return PolicyResult.Unchanged;
        }

        if (!File.Exists(BackupFile))
        {
            Directory.CreateDirectory(backupDirectory);
            AtomicFile.Write(BackupFile, Encoding.UTF8.GetBytes(plist));
        }

        db.WriteRight(right, AuthorizationRightPlist.WithMechanisms(plist, wanted));
        return new PolicyResult([request.Mfa ? $"added FleetMfa to {right}" : $"removed FleetMfa from {right}"]);
    }
}
