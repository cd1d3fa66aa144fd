using System.Globalization;
using System.Text.Json;
using HybridIngest.Contracts;
using Spectre.Console;

namespace HybridIngest.Cli;

/// <summary>
/// <c>hybrid invoke</c>: one invocation with the lab's event, its result, and the stored image saved
/// for verify. With <paramref name="json"/>, the outcome as one <see cref="InvokeResult"/> there and
/// nothing on the console. <c>hybrid local invoke</c> sends its event file with <see cref="InvokeAsync"/>
/// and prints the answer with <see cref="PrintAsync"/>, the same way.
/// </summary>
public sealed class InvokeAction(IAnsiConsole console, TextWriter? json = null)
{
    public async Task<ExitCode> RunAsync(string imageUrl, InvokeTarget target, StoredImagesStore store, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(imageUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new UserException($"--url must be an absolute http(s) URL, not '{imageUrl}'.");
        }
        if (json is null)
        {
            console.MarkupLineInterpolated($"Invoking [bold]{target.FunctionName}[/] at {target.LambdaEndpoint} ({target.Source})");
        }

        var payload = JsonSerializer.SerializeToUtf8Bytes(new FunctionEvent(imageUrl), HybridIngestJsonContext.Default.FunctionEvent);
        var (outcome, answer) = await InvokeAsync(target, payload, cancellationToken);
        if (answer.Stored is { } image)
        {
            SaveForVerify(image, imageUrl, target, store);
        }
        var exitCode = await PrintAsync(target, outcome, answer);
        if (json is null && answer.Stored is not null)
        {
            console.MarkupLineInterpolated($"Recorded the stored object (bucket, key, size, SHA-256) in {store.Path}: 'hybrid verify' checks it in S3.");
        }
        return exitCode;
    }

    /// <summary>
    /// Sends <paramref name="payload"/> as it is (the Invoke API's body) with the log tail, and reads the
    /// answer as the function's contract.
    /// </summary>
    public static async Task<(InvokeOutcome Outcome, FunctionAnswer Answer)> InvokeAsync(InvokeTarget target, byte[] payload, CancellationToken cancellationToken)
    {
        using var http = LambdaInvoker.CreateHttpClient();
        InvokeOutcome outcome;
        try
        {
            outcome = await target.CreateInvoker(http).InvokeAsync(target.FunctionName, payload, tailLog: true, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new UserException($"Could not reach the Invoke API at {target.LambdaEndpoint}: {e.Message}", ExitCode.CheckFailed);
        }
        return (outcome, FunctionAnswer.Read(outcome));
    }

    /// <summary>
    /// The answer: the <see cref="InvokeResult"/> JSON, or the statuses and the server's result (or the
    /// error) on the console. <see cref="ExitCode.Success"/> when an image was stored, else <see cref="ExitCode.CheckFailed"/>.
    /// </summary>
    public async Task<ExitCode> PrintAsync(InvokeTarget target, InvokeOutcome outcome, FunctionAnswer answer)
    {
        if (json is not null)
        {
            await json.WriteLineAsync(JsonSerializer.Serialize(Result(target, outcome, answer), HybridIngestJsonContext.Relaxed.InvokeResult));
            return answer.Stored is null ? ExitCode.CheckFailed : ExitCode.Success;
        }

        var summary = new Table().AddColumns("", "");
        summary.ShowHeaders = false;
        summary.AddRow("Invoke API status", outcome.StatusCode.ToString(CultureInfo.InvariantCulture));
        summary.AddRow("Function statusCode", answer.FunctionStatus?.ToString(CultureInfo.InvariantCulture) ?? "-");
        summary.AddRow("End to end", $"{outcome.Elapsed.TotalMilliseconds:0.0} ms");
        summary.AddRow("lambda_ec2_call_time_ms", answer.Body is { } body ? $"{body.LambdaEc2CallTimeMs:0.0} ms" : "-");
        summary.AddRow("Cold start", outcome.InitDurationMs is { } init ? $"yes (Init Duration {init:0.0} ms)" : "no");
        if (outcome.RequestId is { } requestId)
        {
            summary.AddRow("Request id", Markup.Escape(requestId));
        }
        console.Write(summary);

        if (answer.Stored is not { } stored)
        {
            console.MarkupLineInterpolated($"[red]Failed:[/] {answer.Error}: {answer.ErrorMessage ?? answer.Body?.Error}");
            return ExitCode.CheckFailed;
        }

        var result = new Table().Title("Server result").AddColumn("Field")
            .AddColumn(new TableColumn("Value").NoWrap()); // keys, URLs and the SHA-256 in one piece, to copy
        foreach (var (name, value) in new (string, string)[]
        {
            ("image_id", stored.ImageId),
            ("s3_location", stored.S3Location),
            ("bucket", stored.Bucket),
            ("key", stored.Key),
            ("file_size", stored.FileSize.ToString(CultureInfo.InvariantCulture)),
            ("content_type", stored.ContentType),
            ("sha256", stored.Sha256),
            ("download_ms", stored.DownloadMs.ToString(CultureInfo.InvariantCulture)),
            ("upload_ms", stored.UploadMs.ToString(CultureInfo.InvariantCulture)),
            ("total_ms", stored.TotalMs.ToString(CultureInfo.InvariantCulture)),
        })
        {
            result.AddRow(name, Markup.Escape(value));
        }
        console.Write(result);
        return ExitCode.Success;
    }

    static void SaveForVerify(ProcessImageResponse stored, string imageUrl, InvokeTarget target, StoredImagesStore store) => store.Save(new StoredImagesFile
    {
        Source = "invoke",
        CreatedAt = DateTimeOffset.UtcNow,
        Region = target.Region,
        S3Endpoint = target.S3Endpoint?.ToString(),
        Images = [StoredImagesStore.From(stored, imageUrl)],
    });

    static InvokeResult Result(InvokeTarget target, InvokeOutcome outcome, FunctionAnswer answer) => new()
    {
        FunctionName = target.FunctionName,
        Succeeded = answer.Stored is not null,
        InvokeStatus = outcome.StatusCode,
        FunctionStatus = answer.FunctionStatus,
        EndToEndMs = Math.Round(outcome.Elapsed.TotalMilliseconds, 3),
        LambdaEc2CallTimeMs = answer.Body?.LambdaEc2CallTimeMs,
        ColdStart = outcome.InitDurationMs is not null,
        InitDurationMs = outcome.InitDurationMs,
        RequestId = outcome.RequestId,
        Result = answer.Stored,
        Error = answer.Error,
        ErrorMessage = answer.ErrorMessage ?? answer.Body?.Error,
    };
}
