using System.Text.Json;
using HybridIngest.Contracts;
using Spectre.Console.Testing;

namespace HybridIngest.Cli.Tests;

public sealed class InvokeTests : IAsyncLifetime
{
    FakeInvokeApi _api = null!;
    readonly string _stateDirectory = Directory.CreateTempSubdirectory("hybrid-invoke-test").FullName;

    public async ValueTask InitializeAsync() => _api = await FakeInvokeApi.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_stateDirectory, recursive: true);
    }

    LocalState State => new(_stateDirectory);

    Task<InvokeTarget> ExplicitTarget(string function = FakeInvokeApi.FunctionName) =>
        InvokeTarget.ResolveAsync(function, _api.Endpoint, "eu-west-1", State, "no-infra", CancellationToken.None);

    [Fact]
    public async Task PrintsTheResultAndSavesTheStoredImageForVerify()
    {
        var console = new TestConsole { EmitAnsiSequences = false };
        console.Profile.Width = 200;
        var store = new StoredImagesStore(State);

        var exit = await new InvokeAction(console).RunAsync("http://origin.test/cat.png", await ExplicitTarget(), store, CancellationToken.None);

        Assert.Equal(ExitCode.Success, exit);
        Assert.Contains("lambda_ec2_call_time_ms", console.Output, StringComparison.Ordinal);
        Assert.Contains("7.5 ms", console.Output, StringComparison.Ordinal);
        Assert.Contains("images/img1.png", console.Output, StringComparison.Ordinal);
        Assert.True(console.Output.Contains("Init Duration 12.3", StringComparison.Ordinal), console.Output);
        var saved = store.Load();
        Assert.Equal("invoke", saved.Source);
        Assert.Equal("eu-west-1", saved.Region);
        var image = Assert.Single(saved.Images);
        Assert.Equal(("bucket", "images/img1.png", 101L), (image.Bucket, image.Key, image.Size));
    }

    [Fact]
    public async Task WithJsonPrintsOnlyTheOutcomeAsJson()
    {
        var console = new TestConsole();
        var json = new StringWriter();
        var store = new StoredImagesStore(State);

        var exit = await new InvokeAction(console, json).RunAsync("http://origin.test/cat.png", await ExplicitTarget(), store, CancellationToken.None);

        Assert.Equal(ExitCode.Success, exit);
        Assert.Equal("", console.Output);
        var result = JsonSerializer.Deserialize(json.ToString(), HybridIngestJsonContext.Default.InvokeResult)!;
        Assert.True(result.Succeeded);
        Assert.Equal((200, 200, FakeInvokeApi.FunctionName), (result.InvokeStatus, result.FunctionStatus, result.FunctionName));
        Assert.Equal(("images/img1.png", new string('a', 64)), (result.Result!.Key, result.Result.Sha256));
        Assert.Equal(7.5, result.LambdaEc2CallTimeMs);
        Assert.True(result.ColdStart);
        Assert.Equal(12.34, result.InitDurationMs);
        Assert.Equal("r1", result.RequestId);
        Assert.Null(result.Error);
        Assert.Equal("images/img1.png", Assert.Single(store.Load().Images).Key);
    }

    [Fact]
    public async Task WithJsonReportsAFailureAsJsonAndExitsNonZero()
    {
        var json = new StringWriter();

        var exit = await new InvokeAction(new TestConsole(), json).RunAsync("http://origin.test/fail.png", await ExplicitTarget(), new StoredImagesStore(State), CancellationToken.None);

        Assert.Equal(ExitCode.CheckFailed, exit);
        var result = JsonSerializer.Deserialize(json.ToString(), HybridIngestJsonContext.Default.InvokeResult)!;
        Assert.False(result.Succeeded);
        Assert.Equal((ErrorCodes.DownloadFailed, 502), (result.Error, result.FunctionStatus));
        Assert.Equal("Could not download the image", result.ErrorMessage);
        Assert.Null(result.Result);
    }

    [Fact]
    public async Task TheRealCommandWithJsonPrintsOneJsonDocumentOnStdout()
    {
        var run = await HybridCli.RunAsync("invoke", "--json", "--url", "http://origin.test/cat.png",
            "--function", FakeInvokeApi.FunctionName, "--endpoint-url", _api.Endpoint.ToString(), "--region", "eu-west-1", "--state-dir", _stateDirectory);

        Assert.True(run.ExitCode == 0, run.Output);
        using var document = JsonDocument.Parse(run.StandardOutput);
        Assert.Equal("images/img1.png", document.RootElement.GetProperty("result").GetProperty("key").GetString());
        Assert.Equal("", run.StandardError);
    }

    [Fact]
    public async Task ReportsTheFunctionsErrorCodeAndExitsNonZero()
    {
        var console = new TestConsole();

        var exit = await new InvokeAction(console).RunAsync("http://origin.test/fail.png", await ExplicitTarget(), new StoredImagesStore(State), CancellationToken.None);

        Assert.Equal(ExitCode.CheckFailed, exit);
        Assert.Contains(ErrorCodes.DownloadFailed, console.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(new StoredImagesStore(State).Path));
    }

    [Fact]
    public async Task ReportsAnUnknownFunction()
    {
        var console = new TestConsole();

        var exit = await new InvokeAction(console).RunAsync("http://origin.test/cat.png", await ExplicitTarget("nope"), new StoredImagesStore(State), CancellationToken.None);

        Assert.Equal(ExitCode.CheckFailed, exit);
        Assert.Contains("invoke_404", console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TakesTheTargetFromTheLocalStackState()
    {
        State.Save(new LocalStackStatus
        {
            LambdaEndpoint = _api.Endpoint.ToString(),
            FunctionName = FakeInvokeApi.FunctionName,
            ServerUrl = "http://127.0.0.1:1",
            S3Endpoint = "http://127.0.0.1:2",
            Bucket = "bucket",
            Region = "us-west-2",
            StartedAt = DateTimeOffset.UtcNow,
            Processes = [],
        });

        var target = await InvokeTarget.ResolveAsync(null, null, null, State, "no-infra", CancellationToken.None);

        Assert.Equal((_api.Endpoint, FakeInvokeApi.FunctionName, "us-west-2"), (target.LambdaEndpoint, target.FunctionName, target.Region));
        Assert.Equal(new Uri("http://127.0.0.1:2"), target.S3Endpoint);
    }

    [Fact]
    public async Task SaysHowToGetATargetWhenThereIsNone()
    {
        var error = await Assert.ThrowsAsync<UserException>(() =>
            InvokeTarget.ResolveAsync(null, null, "us-east-1", State, Path.Combine(_stateDirectory, "no-infra"), CancellationToken.None));

        Assert.Contains("hybrid local up", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RejectsANonHttpImageUrl() =>
        await Assert.ThrowsAsync<UserException>(async () =>
            await new InvokeAction(new TestConsole()).RunAsync("file:///etc/passwd", await ExplicitTarget(), new StoredImagesStore(State), CancellationToken.None));
}
