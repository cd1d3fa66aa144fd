using System.Text.Json.Serialization;
using Amazon.Runtime;
using HybridIngest.Contracts;
using HybridIngest.Server;
using HybridIngest.Server.Security;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateSlimBuilder(args);

// Port 8080 on every interface unless --urls / ASPNETCORE_URLS / ASPNETCORE_HTTP_PORTS say otherwise.
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
{
    builder.WebHost.UseUrls("http://*:8080");
}

builder.Logging.ClearProviders();
builder.Logging.AddJsonConsole(json =>
{
    json.UseUtcTimestamp = true;
    json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
});
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning); // the handler writes the request's line

builder.Services.ConfigureHttpJsonOptions(json =>
{
    json.SerializerOptions.TypeInfoResolverChain.Insert(0, HybridIngestJsonContext.Default);
    json.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull; // as the context does
});
builder.Services.AddOptions<IngestOptions>().Bind(builder.Configuration).ValidateOnStart();
builder.Services.AddSingleton<IValidateOptions<IngestOptions>, IngestOptionsValidator>();
builder.Services.AddDestinationPolicy();
builder.Services.AddImageApi();
builder.Services.AddServerTelemetry(builder.Configuration); // metrics always (EMF lines); traces and OTLP only with OTEL_EXPORTER_OTLP_ENDPOINT
builder.Services.AddApiDescription(); // /openapi/v1.json, and unexpected failures answered as problems too

await using var app = builder.Build();
app.UseExceptionHandler(error => error.Run(ApiDescription.AnswerUnexpectedFailureAsync)); // 500 internal_error, never a stack trace
var ingest = app.MapGroup("/").WithTags("Ingest"); // admitted, downloading and storing: the work
ingest.MapImageApi();
ingest.MapTestProcessApi();
app.MapGroup("/").WithTags("Service").MapServiceApi();
app.MapOpenApi();

try
{
    await app.StartAsync();
}
catch (Exception e) when (e is OptionsValidationException or InvalidOperationException)
{
    // Settings that fail validation or cannot be read stop the server before it listens: say
    // which, without a stack trace.
    await Console.Error.WriteLineAsync($"hybrid-ingest-server: cannot start: {e.Message}");
    return 2;
}
catch (AmazonClientException e)
{
    // The S3 client's own settings check: no region found (AWS_REGION unset off EC2) and no endpoint.
    await Console.Error.WriteLineAsync($"hybrid-ingest-server: cannot start: S3 client: {e.Message} (see AWS_REGION and AWS_ENDPOINT_URL_S3)");
    return 2;
}
catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or FormatException or ArgumentOutOfRangeException)
{
    // An address it cannot listen on (taken, not this machine's, not a URL, a port out of range):
    // Kestrel's message alone does not always name it.
    await Console.Error.WriteLineAsync($"hybrid-ingest-server: cannot listen on {app.Configuration["urls"] ?? "HTTP port(s) " + app.Configuration["http_ports"]}: {e.Message}");
    return 2;
}
await app.WaitForShutdownAsync();
return 0;

public partial class Program;
