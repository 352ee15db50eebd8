using System.Security.Cryptography;
using FleetMfa.Grains;
using FleetMfa.Grains.Totp;
using FleetMfa.Grains.Users;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace FleetMfa.Tests.Users;

/// <summary>
/// Invariants of <see cref="UserTwin"/> over random sequences of commands, acknowledgements and time (FsCheck):
/// whatever happens, a refusal changed nothing, a decision that stores nothing changed nothing, the revision and the
/// secret version never go back, the outbox names only bound devices, the secret is held exactly while there is an
/// enrollment, a code oathtool computes for the pending secret completes setup until it expires (and a wrong one never
/// does), and every change a bound device would see moves the revision on and puts that device in the outbox.
/// </summary>
public sealed class UserTwinPropertyTests
{
    private const int MaxStep = 8;
    private static readonly string[] Devices = ["db-01", "web-01", "web-02", "web-03"];
    private static readonly byte[]?[] Keys = [null, NewKey(), NewKey()];
    private static readonly byte[][] Secrets = [UserTwinTests.Secret, RandomNumberGenerator.GetBytes(20)];
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(90);

    /// <summary>oathtool's code of each secret at each 30 s step from <see cref="UserTwinTests.Now"/> (and three beyond the last).</summary>
    private static readonly Lazy<string[][]> Codes = new(() =>
        [.. Secrets.Select(s => Enumerable.Range(0, MaxStep + 4).Select(k => Oathtool.Totp(TotpAuthenticator.ToBase32(s), At(k))).ToArray())]);

    /// <summary>One move in a user's life, drawn at random: <see cref="Kind"/> picks the command, the rest its arguments.</summary>
    public sealed record Move(int Kind, int A, int B);

    public static class Steps
    {
        public static Arbitrary<Move[]> Arbitrary() =>
            (from kind in Gen.Choose(0, 8)
             from a in Gen.Choose(0, 3)
             from b in Gen.Choose(0, 5)
             select new Move(kind, a, b)).ArrayOf().ToArbitrary();
    }

    /// <summary>What a bound device would hold of the user: its name, enrollment and the key its secret is sealed to.</summary>
    private static (string, TotpStatus, int, string?) View(UserState state, string deviceId) =>
        (state.Username, state.TotpStatus, state.SecretVersion, state.DeviceKeys.TryGetValue(deviceId, out var key) ? Convert.ToBase64String(key) : null);

    [Property(Arbitrary = [typeof(Steps)], MaxTest = 300)]
    public void Any_sequence_of_commands_keeps_the_user_s_invariants(Move[] steps)
    {
        var twin = new UserTwin("acme", "alice", UserTwinTests.Protector);
        var state = new UserState();
        var (step, secret) = (0, 0);
        foreach (var move in steps)
        {
            var before = UserTwinTests.Json(state);
            var (revision, secretVersion, status, expires) = (state.Revision, state.SecretVersion, state.TotpStatus, state.EnrollmentExpiresAt);
            var views = state.Devices.ToDictionary(d => d, d => View(state, d));
            bool stored;
            try
            {
                stored = Apply(twin, state, move, ref step, ref secret);
            }
            catch (FleetMfaException refusal)
            {
                Assert.True(UserTwinTests.Json(state) == before, $"{move}: a refusal changed the state");
                Assert.False(
                    move.Kind == 2 && status == TotpStatus.PendingSetup && At(step) < expires,
                    $"{move}: oathtool's code for the pending secret was refused ({refusal.Code})");
                continue;
            }

            Assert.True(stored || UserTwinTests.Json(state) == before || move.Kind == 7, $"{move}: nothing to store, yet the state changed");
            Assert.True(move.Kind != 3 || status == TotpStatus.Enrolled || state.TotpStatus != TotpStatus.Enrolled, $"{move}: a wrong code completed setup");
            Assert.True(state.Revision >= revision && state.SecretVersion >= secretVersion, $"{move}: the revision or the secret version went back");
            Assert.True(state.Notify.IsSubsetOf(state.Devices) && state.DeviceKeys.Keys.All(state.Devices.Contains), $"{move}: the outbox or the keys name a device not bound");
            Assert.True(
                (state.ProtectedSecret is null) == (state.TotpStatus == TotpStatus.NotEnrolled) &&
                (state.EnrollmentExpiresAt is not null) == (state.TotpStatus == TotpStatus.PendingSetup) &&
                (state.EnrolledAt is not null) == (state.TotpStatus == TotpStatus.Enrolled),
                $"{move}: the secret or the enrollment times do not match the status {state.TotpStatus}");
            foreach (var device in state.Devices.Where(d => views.TryGetValue(d, out var view) && view != View(state, d)))
            {
                Assert.True(state.Revision > revision && state.Notify.Contains(device), $"{move}: {device} would see a change it is not told of");
            }
        }

        // What each bound device is sent: the current revision, and the secret exactly when it is enrolled and has a key.
        foreach (var device in state.Devices)
        {
            var update = twin.UpdateFor(state, device);
            Assert.Equal(state.Revision, update.Revision);
            Assert.Equal(state.TotpStatus == TotpStatus.Enrolled && state.DeviceKeys.ContainsKey(device), update.Secret is not null);
        }
    }

    private static bool Apply(UserTwin twin, UserState state, Move move, ref int step, ref int secret)
    {
        var codes = Codes.Value;
        switch (move.Kind)
        {
            case 0:
                return UserTwin.CreateOrUpdate(state, new UserProfile(move.A % 2 == 0 ? "Alice" : "Alice Smith", move.B % 2 == 0 ? null : "alice@example.com"), At(step));
            case 1:
                twin.StartEnrollment(state, Secrets[move.A % 2], Period, At(step));
                secret = move.A % 2;
                return true;
            case 2:
                twin.Confirm(state, codes[secret][step], TotpParameters.Default, At(step));
                return true;
            case 3:
                // A code three steps ahead: outside the drift window, unless it happens to equal one inside it.
                var current = codes[secret];
                var wrong = current[step + 3];
                if (Enumerable.Range(Math.Max(0, step - 1), 3).Any(k => current[k] == wrong))
                {
                    return false;
                }

                twin.Confirm(state, wrong, TotpParameters.Default, At(step));
                return true;
            case 4:
                return twin.Reset(state);
            case 5:
                return twin.AddDevice(state, Devices[move.A], Keys[move.B % 3]);
            case 6:
                return UserTwin.RemoveDevice(state, Devices[move.A]);
            case 7:
                UserTwin.TakeAck(state, Devices[move.A], state.Revision - (move.B % 2));
                return false;
            default:
                step = Math.Min(MaxStep, step + 1 + (move.A % 2));
                return false;
        }
    }

    private static DateTimeOffset At(int step) => UserTwinTests.Now.AddSeconds(30 * step);

    private static byte[] NewKey()
    {
        using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportSubjectPublicKeyInfo();
    }
}
