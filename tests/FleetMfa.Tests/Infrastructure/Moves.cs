using FsCheck;
using FsCheck.Fluent;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>Random sequences of <see cref="Move"/>s for the property tests of the grains' pure cores (FsCheck).</summary>
public static class Moves
{
    /// <summary>Sequences of moves of <paramref name="kinds"/> kinds, with <see cref="Move.A"/> in [0, <paramref name="maxA"/>] and <see cref="Move.B"/> in [0, <paramref name="maxB"/>].</summary>
    public static Arbitrary<Move[]> Arbitrary(int kinds, int maxA, int maxB) =>
        (from kind in Gen.Choose(0, kinds - 1)
         from a in Gen.Choose(0, maxA)
         from b in Gen.Choose(0, maxB)
         from flag in Gen.Elements(true, false)
         select new Move(kind, a, b, flag)).ArrayOf().ToArbitrary();
}
