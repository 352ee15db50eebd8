using Microsoft.Playwright;

namespace FleetMfa.EndToEnd.Browser;

/// <summary>
/// Debian's Chromium (<see cref="ExecutablePath"/>), headless, driven by Playwright's bundled driver — never a
/// downloaded browser. One browser and one fresh context (empty storage, like a new tab) per test. Console errors and
/// page errors are collected, so a test can assert that the page ran clean (a CSP violation or an injected script
/// shows up there).
/// </summary>
public sealed class DashboardBrowser : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly List<string> _errors = [];

    private DashboardBrowser(IPlaywright playwright, IBrowser browser, IBrowserContext context, IPage page, Uri baseAddress)
    {
        _playwright = playwright;
        _browser = browser;
        Context = context;
        Page = page;
        BaseAddress = baseAddress;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (_errors)
                {
                    _errors.Add(message.Text);
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (_errors)
            {
                _errors.Add(error);
            }
        };
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public Uri BaseAddress { get; }

    /// <summary>Console and page errors so far.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    /// <summary>
    /// <see cref="Errors"/> less Chromium's own note of an HTTP error status the test provoked on purpose (a refused
    /// request logs "Failed to load resource: … status of 409").
    /// </summary>
    public IReadOnlyList<string> UnexpectedErrors(params int[] expectedStatuses) =>
        [.. Errors.Where(e => !expectedStatuses.Any(s => e.Contains($"status of {s}", StringComparison.Ordinal)))];

    public static async Task<DashboardBrowser> LaunchAsync(Uri baseAddress)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        Assert.True(File.Exists(ExecutablePath), $"{ExecutablePath} is missing: deploy/test.sh installs Debian's chromium package.");

        // The driver must never fetch a browser of its own.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                Timeout = 60_000,

                // As root there is no sandbox; the rest keeps Chromium off the (closed) network.
                Args =
                [
                    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                ],
            });
            var context = await browser.NewContextAsync(new BrowserNewContextOptions
            {
                BaseURL = baseAddress.ToString(),
                ViewportSize = new ViewportSize { Width = 1360, Height = 900 },
            });
            context.SetDefaultTimeout(30_000);
            var page = await context.NewPageAsync();
            return new DashboardBrowser(playwright, browser, context, page, baseAddress);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A full-page PNG under <see cref="Screenshots.Directory"/>; returns its path.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var path = Screenshots.PathFor(name);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    /// <summary>Everything the page keeps in local and session storage, as one string.</summary>
    public Task<string> StorageDumpAsync() =>
        Page.EvaluateAsync<string>("() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } })");

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
