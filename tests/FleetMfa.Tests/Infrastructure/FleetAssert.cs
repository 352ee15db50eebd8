using FleetMfa.Grains;
using FleetMfa.Silo.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

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

    /// <summary>
    /// Asserts that <paramref name="action"/> fails because a storage write failed (<see cref="FaultInjectingGrainStorage"/>):
    /// the injected failure, not a refusal — the admin API answers a <see cref="FleetMfaException"/> with its 4xx, anything
    /// else with a 5xx — and the API's own exception handler answers it with a 5xx.
    /// </summary>
    public static async Task<Exception> StorageFailedAsync(Func<Task> action)
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(action);
        if (failure is FleetMfaException refusal)
        {
            Assert.Fail($"A refusal ({refusal.Code}), which the API answers with a 4xx, not a storage failure: {refusal}");
        }

        Assert.True(FaultInjectingGrainStorage.IsInjected(failure), $"Not the injected storage failure: {failure}");
        Assert.InRange(await ApiStatusAsync(failure), 500, 599);
        return failure;
    }

    /// <summary>The status the admin API answers a request with whose handler threw <paramref name="failure"/> (its <see cref="ProblemExceptionHandler"/>).</summary>
    public static async Task<int> ApiStatusAsync(Exception failure)
    {
        await using var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        await using var body = new MemoryStream();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Response.Body = body;
        Assert.True(await new ProblemExceptionHandler(NullLogger<ProblemExceptionHandler>.Instance).TryHandleAsync(context, failure, CancellationToken.None));
        return context.Response.StatusCode;
    }
}
