using FleetMfa.Agent.Store;

namespace FleetMfa.Agent.Verification;

/// <summary>
/// Which bound user (<see cref="AppliedState.Users"/>) a login is: the one whose local username is exactly the login
/// name (ordinal); else, when the caller gave the login's uid (the PAM module resolves the name with
/// <c>getpwnam</c>), the first whose local username resolves to that same uid — so <c>ALICE</c> on a system whose
/// user database folds case is <c>alice</c>, with her secret, her replay ledger and her lockout.
/// </summary>
public static class BoundUserLookup
{
    public static LocalUser? Find(AppliedState state, string username, uint? uid, IUserDirectory directory)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(directory);
        if (state.FindByLocalUsername(username) is { } exact)
        {
            return exact;
        }

        if (uid is not { } loginUid)
        {
            return null;
        }

        foreach (var user in state.Users)
        {
            if (directory.FindUid(user.LocalUsername) == loginUid)
            {
                return user;
            }
        }

        return null;
    }
}
