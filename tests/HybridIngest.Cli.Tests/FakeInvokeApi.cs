using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using HybridIngest.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HybridIngest.Cli.Tests;

/// <summary>
/// A stand-in for the Lambda Invoke API on 127.0.0.1:0: answers like the function would (the
/// server's result for image URLs, the function's error shape for URLs containing "fail"), with
/// a REPORT log tail that has an Init Duration on the first invocation only.
/// </summary>
public sealed class FakeInvokeApi : IAsyncDisposable
{
    public const string FunctionName = "hybrid-ingest-test";

    readonly WebApplication _app;
    int _invocations;

    FakeInvokeApi(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;
    /// <summary>Every request as it arrived: its headers (one comma-joined value per name) and body.</summary>
    public ConcurrentQueue<(string Authorization, string LogType, string Body, Dictionary<string, string> Headers)> Requests { get; } = new();

    public static async Task<FakeInvokeApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeInvokeApi(app);
        app.MapPost("/2015-03-31/functions/{name}/invocations", fake.InvokeAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        fake.Endpoint = new Uri(address);
        return fake;
    }

    async Task<IResult> InvokeAsync(string name, HttpRequest request)
    {
        var body = await new StreamReader(request.Body).ReadToEndAsync();
        Requests.Enqueue((request.Headers.Authorization.ToString(), request.Headers["X-Amz-Log-Type"].ToString(), body,
            request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
        if (name != FunctionName)
        {
            return Results.Json(new { Type = "User", Message = $"Function not found: {name}" }, statusCode: 404);
        }

        var number = Interlocked.Increment(ref _invocations);
        var init = number == 1 ? "Init Duration: 12.34 ms\t" : "";
        var log = $"START RequestId: r{number}\nEND RequestId: r{number}\nREPORT RequestId: r{number}\tDuration: 10.00 ms\t{init}Max Memory Used: 20 MB\n";
        request.HttpContext.Response.Headers["X-Amz-Log-Result"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(log));
        request.HttpContext.Response.Headers["x-amzn-RequestId"] = $"r{number}";

        var imageUrl = JsonSerializer.Deserialize(body, HybridIngestJsonContext.Default.FunctionEvent)!.ImageUrl!;
        FunctionResponseBody answer;
        int status;
        if (imageUrl.Contains("fail", StringComparison.Ordinal))
        {
            status = 502;
            answer = new FunctionResponseBody { Error = "Could not download the image", Code = ErrorCodes.DownloadFailed, LambdaEc2CallTimeMs = 4.5 };
        }
        else
        {
            status = 200;
            var stored = new ProcessImageResponse
            {
                ImageId = $"img{number}",
                S3Location = $"s3://bucket/images/img{number}.png",
                FileSize = 100 + number,
                FileExtension = "png",
                Timestamp = "2026-11-25T00:00:00Z",
                Bucket = "bucket",
                Key = $"images/img{number}.png",
                ContentType = "image/png",
                Sha256 = new string('a', 64),
                DownloadMs = 1,
                UploadMs = 2,
                TotalMs = 3,
            };
            answer = new FunctionResponseBody
            {
                Message = "ok",
                LambdaEc2CallTimeMs = 7.5,
                Result = JsonSerializer.SerializeToElement(stored, HybridIngestJsonContext.Default.ProcessImageResponse),
            };
        }
        var response = new FunctionResponse(status, JsonSerializer.Serialize(answer, HybridIngestJsonContext.Default.FunctionResponseBody));
        return Results.Bytes(JsonSerializer.SerializeToUtf8Bytes(response, HybridIngestJsonContext.Default.FunctionResponse), "application/json");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
