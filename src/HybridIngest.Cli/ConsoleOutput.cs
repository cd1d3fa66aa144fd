using Spectre.Console;
using Spectre.Console.Rendering;

namespace HybridIngest.Cli;

/// <summary>
/// How <c>hybrid</c> writes for people, on a terminal and into a pipe or a CI log: nothing wrapped
/// in the middle of a key or a SHA-256, and a long step that says how long it has been running.
/// </summary>
public static class ConsoleOutput
{
    /// <summary>
    /// The width of redirected output (unless COLUMNS says otherwise): with no terminal to fit, a line
    /// is as long as its content, so a key or a SHA-256 is never cut in two for grep or copy and paste.
    /// </summary>
    public const int RedirectedWidth = 1000;

    /// <summary>How often a long step says it is still running when the output is not a terminal.</summary>
    public static readonly TimeSpan PipedHeartbeat = TimeSpan.FromSeconds(5);

    static readonly TimeSpan TerminalTick = TimeSpan.FromSeconds(1);
    const int HeadingWidth = 100;

    /// <summary>Sets the width of redirected output: COLUMNS when set, else <see cref="RedirectedWidth"/>.</summary>
    public static void Configure(Profile profile, bool redirected, string? columns)
    {
        if (redirected)
        {
            profile.Width = int.TryParse(columns, out var width) && width > 0 ? width : RedirectedWidth;
        }
    }

    /// <summary>A section heading: a rule with a title, no wider than <see cref="HeadingWidth"/> however wide the output.</summary>
    public static void Heading(this IAnsiConsole console, string markup) =>
        console.Write(new AtMost(new Rule(markup).LeftJustified(), HeadingWidth));

    /// <summary>
    /// Runs a long step. On a terminal, a spinner with the title and the seconds so far; otherwise
    /// (a pipe, a CI log) no spinner: a line with the title when it starts and one every
    /// <see cref="PipedHeartbeat"/> with the seconds so far. <paramref name="progress"/>, if given,
    /// says how far the step has got ("12 of 49 resources"; null while it cannot tell), after the seconds.
    /// </summary>
    public static async Task<T> LongStepAsync<T>(this IAnsiConsole console, string title, Func<Task<T>> step, Func<string?>? progress = null, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var started = time.GetTimestamp();
        string Elapsed() => $"{time.GetElapsedTime(started).TotalSeconds:0} s" + (progress?.Invoke() is { } done ? $", {done}" : "");
        if (console.Profile.Capabilities.Interactive)
        {
            return await console.Status().StartAsync(title, async context =>
            {
                using var ticker = time.CreateTimer(_ => context.Status = $"{title} [grey]({Elapsed()})[/]", null, TerminalTick, TerminalTick);
                return await step();
            });
        }
        console.MarkupLine($"{title} …");
        using (time.CreateTimer(_ => console.MarkupLine($"  {title}: still running, {Elapsed()}"), null, PipedHeartbeat, PipedHeartbeat))
        {
            return await step();
        }
    }

    /// <summary>Renders <paramref name="inner"/> at most <paramref name="width"/> columns wide.</summary>
    sealed class AtMost(IRenderable inner, int width) : IRenderable
    {
        public Measurement Measure(RenderOptions options, int maxWidth) => inner.Measure(options, Math.Min(maxWidth, width));

        public IEnumerable<Segment> Render(RenderOptions options, int maxWidth) => inner.Render(options, Math.Min(maxWidth, width));
    }
}
