namespace FleetMfa.Silo.Api.Events;

/// <summary>Reads a rollout's progress for the event stream; <c>null</c> when the org has no such rollout.</summary>
public interface IRolloutEventSource
{
    Task<object?> GetAsync(string orgId, string rolloutId);
}
