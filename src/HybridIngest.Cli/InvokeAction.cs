using System.Globalization;
using System.Text.Json;
using HybridIngest.Contracts;
using Spectre.Console;

namespace HybridIngest.Cli;

/// <summary><c>hybrid invoke</c>: one invocation with the lab's event, its result, and the stored image saved for verify.</summary>
public sealed class InvokeAction(IAnsiConsole console)
{
    public async Task<ExitCode> RunAsync(string imageUrl, InvokeTarget target, StoredImagesStore store, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(imageUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new UserException($"--url must be an absolute http(s) URL, not '{imageUrl}'.");
        }
        console.MarkupLineInterpolated($"Invoking [bold]{target.FunctionName}[/] at {target.LambdaEndpoint} ({target.Source})");

        using var http = LambdaInvoker.CreateHttpClient();
        var payload = JsonSerializer.SerializeToUtf8Bytes(new FunctionEvent(imageUrl), HybridIngestJsonContext.Default.FunctionEvent);
        InvokeOutcome outcome;
        try
        {
            outcome = await target.CreateInvoker(http).InvokeAsync(target.FunctionName, payload, tailLog: true, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new UserException($"Could not reach the Invoke API at {target.LambdaEndpoint}: {e.Message}", ExitCode.CheckFailed);
        }
        var answer = FunctionAnswer.Read(outcome);

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

        store.Save(new StoredImagesFile
        {
            Source = "invoke",
            CreatedAt = DateTimeOffset.UtcNow,
            Region = target.Region,
            S3Endpoint = target.S3Endpoint?.ToString(),
            Images = [StoredImagesStore.From(stored, imageUrl)],
        });
        console.MarkupLineInterpolated($"Saved the stored image to {store.Path} (check it with 'hybrid verify').");
        return ExitCode.Success;
    }
}
