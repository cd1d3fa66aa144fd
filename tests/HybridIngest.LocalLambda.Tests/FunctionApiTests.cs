using System.Text.Json;
using HybridIngest.Contracts;

namespace HybridIngest.LocalLambda.Tests;

/// <summary>The Lambda API's read calls, made by the real AWS CLI against the host, as a user tries them after Invoke.</summary>
public sealed class FunctionApiTests : IAsyncLifetime
{
    const string Arn = "arn:aws:lambda:us-east-1:123456789012:function:ingest"; // moto's account, as the bucket's
    LocalLambdaHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await LocalLambdaHost.StartAsync(new LocalLambdaOptions
    {
        FunctionName = "ingest",
        BootstrapPath = Bootstraps.Script(Bootstraps.Echo),
        TimeoutSeconds = 30,
        MemoryMb = 256,
        Environment = new Dictionary<string, string> { [FunctionEnvironmentVariables.ServerUrl] = "http://127.0.0.1:9" },
    });

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task GetFunctionConfigurationDescribesTheFunctionTheHostRuns()
    {
        var (exitCode, output, error) = await AwsLambdaAsync("get-function-configuration", "--function-name", "ingest");

        Assert.True(exitCode == 0, error);
        var configuration = JsonDocument.Parse(output).RootElement;
        Assert.Equal("ingest", configuration.GetProperty("FunctionName").GetString());
        Assert.Equal(Arn, configuration.GetProperty("FunctionArn").GetString());
        Assert.Equal(("provided.al2023", "bootstrap"), (configuration.GetProperty("Runtime").GetString(), configuration.GetProperty("Handler").GetString()));
        Assert.Equal((30, 256), (configuration.GetProperty("Timeout").GetInt32(), configuration.GetProperty("MemorySize").GetInt32()));
        Assert.Equal("http://127.0.0.1:9", configuration.GetProperty("Environment").GetProperty("Variables").GetProperty("SERVER_URL").GetString());
        Assert.Equal(new FileInfo(_host.Options.BootstrapPath).Length, configuration.GetProperty("CodeSize").GetInt64());
        Assert.Equal("Active", configuration.GetProperty("State").GetString());
    }

    [Fact]
    public async Task GetFunctionAndListFunctionsNameTheSameFunction()
    {
        var got = await AwsLambdaAsync("get-function", "--function-name", Arn);
        var listed = await AwsLambdaAsync("list-functions");

        Assert.True(got.ExitCode == 0, got.Error);
        Assert.True(listed.ExitCode == 0, listed.Error);
        Assert.Equal(Arn, JsonDocument.Parse(got.Output).RootElement.GetProperty("Configuration").GetProperty("FunctionArn").GetString());
        var functions = JsonDocument.Parse(listed.Output).RootElement.GetProperty("Functions");
        Assert.Equal(Arn, Assert.Single(functions.EnumerateArray()).GetProperty("FunctionArn").GetString());
    }

    [Fact]
    public async Task AnotherNameIsResourceNotFoundInTheSameAccount()
    {
        var (exitCode, _, error) = await AwsLambdaAsync("get-function", "--function-name", "other");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("ResourceNotFoundException", error, StringComparison.Ordinal);
        Assert.Contains("arn:aws:lambda:us-east-1:123456789012:function:other", error, StringComparison.Ordinal);
    }

    Task<(int ExitCode, string Output, string Error)> AwsLambdaAsync(params string[] arguments) =>
        AwsLambdaCli.RunAsync(_host.Endpoint, arguments);
}
