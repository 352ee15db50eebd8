using FleetMfa.Grains;

namespace FleetMfa.Tests.Infrastructure;

internal static class FleetAssert
{
    /// <summary>Asserts that <paramref name="action"/> is refused with the stable error <paramref name="code"/>.</summary>
    public static async Task<FleetMfaException> RefusedAsync(string code, Func<Task> action)
    {
        var refusal = await Assert.ThrowsAsync<FleetMfaException>(action);
        Assert.Equal(code, refusal.Code);
        return refusal;
    }
}
