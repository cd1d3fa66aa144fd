using HybridIngest.Contracts;
using HybridIngest.Function;

// The Lambda custom runtime: Lambda (or the local Lambda host) starts this executable with the
// Runtime API's address in AWS_LAMBDA_RUNTIME_API; it serves invocations until that API goes away.
if (Environment.GetEnvironmentVariable(LambdaEnvironmentVariables.RuntimeApi) is not { Length: > 0 } runtimeApiAddress)
{
    Console.Error.WriteLine($"bootstrap is a Lambda custom runtime: run it under Lambda or the local Lambda host ({LambdaEnvironmentVariables.RuntimeApi} is not set).");
    return 2;
}
var runtimeApi = RuntimeApiClient.Create(runtimeApiAddress);

if (!FunctionSettings.TryLoad(Environment.GetEnvironmentVariable, out var settings, out var problem))
{
    JsonLog.Error(problem, requestId: null);
    try
    {
        await runtimeApi.SendInitErrorAsync(new LambdaError(problem, "Runtime.InvalidConfiguration"), CancellationToken.None);
    }
    catch (Exception e) when (e is HttpRequestException or RuntimeApiException)
    {
        JsonLog.Error($"Could not report the init error: {e.Message}", requestId: null);
    }
    return 1;
}

var http = ServerClient.CreateHttpClient();
var function = new ImageFunction(new ServerClient(http, settings.ProcessImageUri), settings.Otlp is { } otlp ? new OtlpExporter(http, otlp) : null);
return await LambdaLoop.RunAsync(runtimeApi, function.HandleAsync, CancellationToken.None, function.ExportSpanAsync);
