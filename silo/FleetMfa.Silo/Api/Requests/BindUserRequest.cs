namespace FleetMfa.Silo.Api.Requests;

public sealed record BindUserRequest(string LocalUsername);
