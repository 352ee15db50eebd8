namespace FleetMfa.Silo.Api.Auth;

public static class AccessEndpointExtensions
{
    /// <summary>Admin key, or an operator key of the route's org.</summary>
    public static TBuilder RequireOrgAccess<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilterFactory((factory, next) => Filter(factory, next, adminOnly: false));

    /// <summary>The admin key only.</summary>
    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilterFactory((factory, next) => Filter(factory, next, adminOnly: true));

    private static EndpointFilterDelegate Filter(EndpointFilterFactoryContext factory, EndpointFilterDelegate next, bool adminOnly)
    {
        var services = factory.ApplicationServices;
        var filter = new OrgAccessFilter(
            services.GetRequiredService<ApiKeyAuthenticator>(), services.GetRequiredService<AuthRefusals>(), services.GetRequiredService<Auditing.OperatorAuditRecorder>(), adminOnly);
        return invocation => filter.InvokeAsync(invocation, next);
    }
}
