using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using HybridIngest.Cli.Local;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using Spectre.Console;

namespace HybridIngest.Cli;

/// <summary>What <c>hybrid demo</c> runs: the bench's size, and where its packages and results go.</summary>
public sealed record DemoOptions(string ArtifactsDirectory, string BenchOutput, int BenchRequests, IReadOnlyList<int> BenchConcurrency)
{
    public static readonly IReadOnlyList<int> DefaultConcurrency = [1, 16];
    public const int DefaultRequests = 200;
}

/// <summary>
/// <c>hybrid demo</c>, the main job in one command, offline: the local stack up, the project's sample
/// images (JPEG, PNG, GIF, WebP) served from a local origin and each invoked once, a short concurrent
/// bench, every stored object verified in S3, a report; then everything torn down, also on failure,
/// Ctrl+C or SIGTERM.
/// </summary>
public sealed class Demo(LocalState state, string repositoryRoot, IAnsiConsole console)
{
    public async Task<ExitCode> RunAsync(DemoOptions options, CancellationToken commandCancellation)
    {
        using var cancellation = SignalSafe.Relay(commandCancellation);
        var cancellationToken = cancellation.Token;
        var clock = Stopwatch.StartNew();
        console.Heading("[bold]HybridIngest demo[/]: client → Lambda → server → S3, all on this machine");
        if (state.Load() is not null)
        {
            throw new UserException(
                $"A stack from an earlier demo is still recorded in {state.StateFile} (the demo was killed before its teardown). Stop it with: hybrid local down --state-dir {state.Directory}");
        }
        var stack = new LocalStack(state, repositoryRoot, console);
        var upOptions = new LocalUpOptions(options.ArtifactsDirectory, Math.Max(16, options.BenchConcurrency.Max()));
        await stack.RequireToolsAsync(upOptions);

        await using var origin = await ImageOrigin.StartAsync(cancellationToken);
        var samples = SampleImages.All.ToDictionary(image => image, image => origin.Serve($"/samples/sample.{image.Extension}", image));
        console.MarkupLineInterpolated($"[green]✓[/] local image origin on {origin.BaseUrl} serving {string.Join(", ", SampleImages.All)}");

        try
        {
            await stack.UpAsync(upOptions, cancellationToken);

            var target = await InvokeTarget.ResolveAsync(null, null, null, state, Path.Combine(repositoryRoot, "infra"), cancellationToken);
            using var http = LambdaInvoker.CreateHttpClient();
            var invoker = target.CreateInvoker(http);

            var invocations = await InvokeEachAsync(invoker, target.FunctionName, samples, cancellationToken);
            var bench = await BenchAsync(invoker, target.FunctionName, samples[SampleImages.Png].ToString(), options, cancellationToken);
            var stored = invocations.Where(i => i.Answer.Stored is not null)
                .Select(i => StoredImagesStore.From(i.Answer.Stored!, i.Url))
                .Concat(bench.StoredImages)
                .ToList();
            var verified = await VerifyAsync(target, stored, cancellationToken);

            var succeeded = Report(invocations, bench, verified, clock.Elapsed);
            return succeeded ? ExitCode.Success : ExitCode.CheckFailed;
        }
        finally
        {
            console.Heading("Tearing down");
            // Not cancellable: after Ctrl+C this is exactly what must still run to the end (the
            // command line gives the command time for it: see Program.Main).
            await stack.DownAsync(destroy: true, CancellationToken.None);
            console.MarkupLineInterpolated($"[green]✓[/] everything the demo started is stopped ({clock.Elapsed.TotalSeconds:0} s in all).");
        }
    }

    sealed record Invocation(SampleImage Image, string Url, InvokeOutcome Outcome, FunctionAnswer Answer);

    async Task<List<Invocation>> InvokeEachAsync(
        LambdaInvoker invoker, string functionName, IReadOnlyDictionary<SampleImage, Uri> samples, CancellationToken cancellationToken)
    {
        var invocations = await console.LongStepAsync("Invoking the function once per sample image", async () =>
        {
            var done = new List<Invocation>();
            foreach (var (image, url) in samples)
            {
                var payload = JsonSerializer.SerializeToUtf8Bytes(new FunctionEvent(url.ToString()), HybridIngestJsonContext.Default.FunctionEvent);
                var outcome = await invoker.InvokeAsync(functionName, payload, tailLog: true, cancellationToken);
                done.Add(new Invocation(image, url.ToString(), outcome, FunctionAnswer.Read(outcome)));
            }
            return done;
        });
        var failed = invocations.Count(i => !i.Answer.Succeeded);
        console.MarkupLine($"{(failed == 0 ? "[green]✓[/]" : "[red]✗[/]")} {invocations.Count - failed} of {invocations.Count} sample images stored");
        return invocations;
    }

    async Task<BenchReport> BenchAsync(LambdaInvoker invoker, string functionName, string url, DemoOptions options, CancellationToken cancellationToken)
    {
        var settings = new BenchSettings(url, options.BenchConcurrency, options.BenchRequests);
        BenchReport report = null!;
        await console.Progress().StartAsync(async context =>
        {
            var tasks = settings.ConcurrencyLevels.Distinct()
                .ToDictionary(level => level, level => context.AddTask($"bench, concurrency {level}", autoStart: false, maxValue: options.BenchRequests));
            var progress = new Progress<BenchProgress>(p =>
            {
                tasks[p.Concurrency].StartTask();
                tasks[p.Concurrency].Value = p.Completed;
            });
            report = await new BenchRunner(invoker, functionName).RunAsync(settings, options.BenchOutput, progress, cancellationToken);
            foreach (var task in tasks.Values)
            {
                task.Value = task.MaxValue;
            }
        });
        return report;
    }

    async Task<IReadOnlyList<VerifyResult>> VerifyAsync(InvokeTarget target, IReadOnlyList<StoredImage> stored, CancellationToken cancellationToken)
    {
        using var s3 = ImageVerifier.CreateClient(target.Region, target.S3Endpoint?.ToString());
        return await console.LongStepAsync($"Verifying {stored.Count} objects in S3 (size, SHA-256 and S3's checksum)",
            () => new ImageVerifier(s3).VerifyAsync(stored, cancellationToken));
    }

    /// <summary>The results table, the bench's latency percentiles, the verification and where the plots are.</summary>
    bool Report(IReadOnlyList<Invocation> invocations, BenchReport bench, IReadOnlyList<VerifyResult> verified, TimeSpan elapsed)
    {
        console.Heading("[bold]Report[/]");
        var table = new Table().Title("One invocation per sample image")
            .AddColumns("Image", "Stored as", "Bytes", "E2E ms", "Fn→server ms", "Cold start");
        foreach (var invocation in invocations)
        {
            var stored = invocation.Answer.Stored;
            table.AddRow(
                invocation.Image.Name,
                stored is not null ? Markup.Escape(stored.ContentType) : $"[red]{Markup.Escape(invocation.Answer.Error ?? "failed")}[/]",
                stored?.FileSize.ToString(CultureInfo.InvariantCulture) ?? "-",
                invocation.Outcome.Elapsed.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture),
                invocation.Answer.Body?.LambdaEc2CallTimeMs.ToString("0.0", CultureInfo.InvariantCulture) ?? "-",
                invocation.Outcome.InitDurationMs is { } init ? $"yes, {init:0} ms init" : "no");
        }
        console.Write(table);
        if (invocations.FirstOrDefault(i => i.Answer.Stored is not null)?.Answer.Stored is { } first)
        {
            console.MarkupLineInterpolated($"Stored in s3://{first.Bucket}/ as:");
        }
        foreach (var invocation in invocations)
        {
            if (invocation.Answer.Stored is { } stored)
            {
                console.MarkupLineInterpolated($"  {invocation.Image.Name}: {stored.Key}");
            }
            else
            {
                console.MarkupLineInterpolated($"  {invocation.Image.Name}: [red]{invocation.Answer.ErrorMessage}[/]");
            }
        }

        console.Write(BenchAction.SummaryTable(bench.Results).Title($"Bench: {bench.Results.RequestsPerLevel} requests per concurrency level (latency in ms)"));
        console.MarkupLineInterpolated($"Bench results and plots: [bold]{bench.OutputDirectory}[/]");
        foreach (var file in bench.Files)
        {
            console.MarkupLineInterpolated($"  {Path.GetFileName(file)}");
        }

        var bad = verified.Where(v => v.Status != VerifyStatus.Ok).ToList();
        if (bad.Count == 0)
        {
            console.MarkupLineInterpolated($"[green]✓[/] all {verified.Count} stored objects are in S3 with the reported size and SHA-256, and S3's checksum matches their bytes");
        }
        else
        {
            console.MarkupLineInterpolated($"[red]✗ {bad.Count} of {verified.Count} objects missing or different:[/]");
            foreach (var result in bad.Take(10))
            {
                console.MarkupLineInterpolated($"  {result.Expected.Key}: {result.Status}");
            }
        }

        var succeeded = invocations.All(i => i.Answer.Succeeded) && bench.AllSucceeded && bad.Count == 0;
        console.MarkupLine(succeeded
            ? $"[bold green]Demo passed[/] in {elapsed.TotalSeconds:0} s (before teardown)."
            : $"[bold red]Demo found failures[/] (see above), after {elapsed.TotalSeconds:0} s.");
        return succeeded;
    }
}
