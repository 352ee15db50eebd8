using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace FleetMfa.Silo.Dashboard;

/// <summary>
/// The operator dashboard: the plain HTML/CSS/JS files of <c>wwwroot/</c> (no build step, nothing from a CDN), served at
/// <c>/</c> with a strict Content-Security-Policy. The page talks to the admin API with the key the operator typed,
/// which it keeps in <c>sessionStorage</c> only.
/// </summary>
public static class DashboardExtensions
{
    /// <summary>Scripts, styles, fonts and images from this origin only; inline script never runs; SVGs only as images.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static WebApplication MapDashboard(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // deploy/up.sh runs from the project folder; the tests run the build output, which carries a copy of wwwroot.
        var root = Directory.Exists(app.Environment.WebRootPath ?? "")
            ? app.Environment.WebRootPath!
            : Path.Combine(AppContext.BaseDirectory, "wwwroot");
        var files = new PhysicalFileProvider(root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, RequestPath = "" });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers[HeaderNames.ContentSecurityPolicy] = ContentSecurityPolicy;
                headers[HeaderNames.XContentTypeOptions] = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers[HeaderNames.XFrameOptions] = "DENY";

                // Always revalidate, so a silo upgrade never leaves a tab on old scripts.
                headers[HeaderNames.CacheControl] = "no-cache";
            },
        });
        return app;
    }
}
