namespace FleetMfa.Grains.Internal;

/// <summary>Binary search over lists kept in ordinal order of an id (index rows, rollout targets).</summary>
internal static class OrdinalSearch
{
    /// <summary>Index of the first item whose id is ordinally greater than <paramref name="after"/>.</summary>
    public static int UpperBound<T>(IReadOnlyList<T> sorted, Func<T, string> id, string after)
    {
        int lo = 0, hi = sorted.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (string.CompareOrdinal(id(sorted[mid]), after) <= 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
