namespace FleetMfa.Silo.Api.Requests;

public sealed record PutUserRequest(string Username, string? Email = null);
