using System.Text.Json;
using HybridIngest.Contracts;
using Microsoft.Playwright;

namespace HybridIngest.Cli.Tests;

/// <summary>
/// The Aspire dashboard of <c>local up --dashboard</c>, read as a user reads it: its traces page in
/// Debian's chromium (<c>apt-get install chromium</c>; .ci/run installs it), driven by Playwright. The
/// page is a Blazor app that renders after it loads, so every step waits for what it looks for.
/// </summary>
public static class DashboardTraces
{
    /// <summary>Set to a path to keep the screenshot there (how docs/dashboard.png is made).</summary>
    public const string ScreenshotVariable = "HYBRID_DASHBOARD_SCREENSHOT";

    const float Timeout = 60_000;

    static string Chromium => Tool.IsOnPath("chromium")
        ? (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, "chromium")).First(File.Exists)
        : throw new InvalidOperationException("chromium is not on PATH: install it with 'apt-get install -y chromium' (the dashboard test drives it).");

    /// <summary>
    /// The id of the trace whose function span carries <paramref name="requestId"/>, once the
    /// dashboard has it with the server's spans under it. The function exports its span after it
    /// answered, so the trace may still be arriving: this asks the dashboard's API until it is whole.
    /// </summary>
    public static async Task<string> TraceIdAsync(string dashboard, string requestId, params string[] spanNames)
    {
        using var http = new HttpClient { BaseAddress = new Uri(dashboard) };
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(Timeout));
        var seen = "nothing";
        while (true)
        {
            using var json = JsonDocument.Parse(await http.GetStringAsync("/api/telemetry/traces", deadline.Token));
            var spans = json.RootElement.GetProperty("data").GetProperty("resourceSpans").EnumerateArray()
                .SelectMany(r => r.GetProperty("scopeSpans").EnumerateArray())
                .SelectMany(s => s.GetProperty("spans").EnumerateArray())
                .Select(s => (Trace: s.GetProperty("traceId").GetString()!, Name: s.GetProperty("name").GetString()!, RequestId: RequestIdOf(s)))
                .Where(s => s.RequestId == requestId)
                .ToList();
            seen = string.Join(", ", spans.Select(s => $"{s.Name} in {s.Trace}"));
            if (spans.Select(s => s.Trace).Distinct().Count() == 1 && spanNames.All(name => spans.Any(s => s.Name == name)))
            {
                return spans[0].Trace;
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The dashboard has no whole trace for request {requestId} with {string.Join(", ", spanNames)}; spans with that id: {seen}.");
            }
        }
    }

    /// <summary>
    /// Opens the traces page, waits until the list shows the trace's short id, opens the trace, and waits until its
    /// waterfall shows every span name and the function span's details show the request id.
    /// Returns the screenshot of that view.
    /// </summary>
    public static async Task<byte[]> ShowTraceAsync(string dashboard, string traceId, string requestId, params string[] spanNames)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 800 } });
        page.SetDefaultTimeout(Timeout);
        Assertions.SetDefaultExpectTimeout(Timeout);

        await page.GotoAsync($"{dashboard}/traces");
        await Assertions.Expect(page.GetByText(traceId[..7], new() { Exact = true }).First).ToBeVisibleAsync();
        // Open the trace by its address rather than by clicking the list entry: a click that lands
        // before the Blazor page is interactive does nothing (seen once in CI as a navigation timeout).
        await page.GotoAsync($"{dashboard}/traces/detail/{traceId}");
        foreach (var name in spanNames)
        {
            await Assertions.Expect(page.GetByText(name, new() { Exact = true }).First).ToBeVisibleAsync();
        }
        await page.GetByText(spanNames[0], new() { Exact = true }).First.ClickAsync();
        await Assertions.Expect(page.GetByText(requestId, new() { Exact = true }).First).ToBeVisibleAsync();

        var screenshot = await page.ScreenshotAsync();
        if (Environment.GetEnvironmentVariable(ScreenshotVariable) is { Length: > 0 } keep)
        {
            await File.WriteAllBytesAsync(keep, screenshot);
        }
        return screenshot;
    }

    static string? RequestIdOf(JsonElement span) => span.TryGetProperty("attributes", out var attributes)
        ? attributes.EnumerateArray()
            .Where(a => a.GetProperty("key").GetString() == TelemetryNames.RequestIdAttribute)
            .Select(a => a.GetProperty("value").GetProperty("stringValue").GetString())
            .FirstOrDefault()
        : null;
}
