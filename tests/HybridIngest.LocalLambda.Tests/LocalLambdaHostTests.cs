using System.Diagnostics;
using System.Text.Json;
using HybridIngest.Contracts;
using HybridIngest.Testing;

namespace HybridIngest.LocalLambda.Tests;

/// <summary>The host's Lambda behaviour, with small bash runtimes (AWS's tutorial style) as the function.</summary>
public sealed class LocalLambdaHostTests
{
    readonly HostLog _log = new();

    Task<LocalLambdaHost> StartAsync(string bootstrap, int timeoutSeconds = 30, int maxConcurrency = 4, TimeSpan? idleTimeout = null,
        Dictionary<string, string>? environment = null) =>
        LocalLambdaHost.StartAsync(new LocalLambdaOptions
        {
            FunctionName = "ingest",
            BootstrapPath = bootstrap,
            TimeoutSeconds = timeoutSeconds,
            MaxConcurrency = maxConcurrency,
            IdleTimeout = idleTimeout ?? TimeSpan.FromMinutes(5),
            MemoryMb = 256,
            Environment = environment ?? [],
            Log = _log.Write,
        });

    static async Task WaitForExitAsync(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }

    static bool IsAlive(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [Fact]
    public async Task ReturnsTheFunctionPayloadWithTheExecutedVersion()
    {
        await using var host = await StartAsync(Bootstraps.Script(Bootstraps.Echo));

        var answer = await Invoker.InvokeAsync(host, """{"image_url":"https://images.example/a.png"}""");

        Assert.Equal(200, answer.Status);
        Assert.Equal("""{"image_url":"https://images.example/a.png"}""", answer.Body);
        Assert.Equal("$LATEST", answer.Header("X-Amz-Executed-Version"));
        Assert.Null(answer.Header(InvokeApiHeaders.FunctionError));
        Assert.NotNull(answer.Header("x-amzn-RequestId"));
    }

    [Fact]
    public async Task GivesTheRuntimeLambdasEnvironmentAndTheFunctionsOwn()
    {
        var handler = """
            printf '{"name":"%s","memory":"%s","version":"%s","region":"%s","handler":"%s","root":"%s","own":"%s","home":"%s"}' \
              "$AWS_LAMBDA_FUNCTION_NAME" "$AWS_LAMBDA_FUNCTION_MEMORY_SIZE" "$AWS_LAMBDA_FUNCTION_VERSION" "$AWS_REGION" \
              "$_HANDLER" "$LAMBDA_TASK_ROOT" "$SERVER_URL" "${HOME:-}" > "$work/out"
            curl -sS -o /dev/null --data-binary "@$work/out" "$api/invocation/$id/response"
            """;
        var bootstrap = Bootstraps.Script(handler);
        await using var host = await StartAsync(bootstrap, environment: new() { [FunctionEnvironmentVariables.ServerUrl] = "http://10.0.1.10:8080" });

        var body = JsonDocument.Parse((await Invoker.InvokeAsync(host, "{}")).Body).RootElement;

        Assert.Equal("ingest", body.GetProperty("name").GetString());
        Assert.Equal("256", body.GetProperty("memory").GetString());
        Assert.Equal("$LATEST", body.GetProperty("version").GetString());
        Assert.Equal("us-east-1", body.GetProperty("region").GetString());
        Assert.Equal("bootstrap", body.GetProperty("handler").GetString());
        Assert.Equal(Path.GetDirectoryName(bootstrap), body.GetProperty("root").GetString());
        Assert.Equal("http://10.0.1.10:8080", body.GetProperty("own").GetString());
        Assert.Equal("", body.GetProperty("home").GetString());
    }

    [Fact]
    public async Task ReportsAFunctionErrorAsUnhandledWithTheRuntimesErrorObject()
    {
        var handler = """
            curl -sS -o /dev/null -H 'Lambda-Runtime-Function-Error-Type: Test.Failure' \
              --data '{"errorMessage":"it broke","errorType":"Test.Failure"}' "$api/invocation/$id/error"
            """;
        await using var host = await StartAsync(Bootstraps.Script(handler));

        var answer = await Invoker.InvokeAsync(host, "{}");

        Assert.Equal(200, answer.Status);
        Assert.Equal("Unhandled", answer.Header(InvokeApiHeaders.FunctionError));
        Assert.Equal("it broke", JsonDocument.Parse(answer.Body).RootElement.GetProperty("errorMessage").GetString());
    }

    [Fact]
    public async Task EndsAnInvocationWhoseResponseIsOverSixMegabytesWithAFunctionError()
    {
        var handler = """
            head -c 7000000 /dev/zero > "$work/out"
            status=$(curl -sS -o /dev/null -w '%{http_code}' --data-binary "@$work/out" "$api/invocation/$id/response")
            echo "response answered $status"
            """;
        await using var host = await StartAsync(Bootstraps.Script(handler));

        var answer = await Invoker.InvokeAsync(host, "{}");

        Assert.Equal("Unhandled", answer.Header(InvokeApiHeaders.FunctionError));
        Assert.Equal("Function.ResponseSizeTooLarge", JsonDocument.Parse(answer.Body).RootElement.GetProperty("errorType").GetString());
        await _log.WaitForAsync(l => l == "response answered 413");
        Assert.Single(host.EnvironmentProcessIds);
    }

    [Fact]
    public async Task ReusesAWarmEnvironmentAndReportsInitDurationOnlyOnTheColdStart()
    {
        var handler = """
            printf '{"pid":%d}' $$ > "$work/out"
            curl -sS -o /dev/null --data-binary "@$work/out" "$api/invocation/$id/response"
            """;
        await using var host = await StartAsync(Bootstraps.Script(handler));

        var first = await Invoker.InvokeAsync(host, "{}", tail: true);
        var second = await Invoker.InvokeAsync(host, "{}", tail: true);

        Assert.Equal(first.Body, second.Body);
        var firstReport = first.LogTail.Split('\n').Single(l => l.StartsWith("REPORT RequestId: ", StringComparison.Ordinal));
        var secondReport = second.LogTail.Split('\n').Single(l => l.StartsWith("REPORT RequestId: ", StringComparison.Ordinal));
        Assert.Contains("Init Duration: ", firstReport, StringComparison.Ordinal);
        Assert.DoesNotContain("Init Duration", secondReport, StringComparison.Ordinal);
        Assert.Matches(@"^REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB$", secondReport);
        Assert.Contains($"START RequestId: {second.Header("x-amzn-RequestId")} Version: $LATEST", second.LogTail, StringComparison.Ordinal);
        Assert.Single(host.EnvironmentProcessIds);
    }

    [Fact]
    public async Task EndsTheEnvironmentWhenTheFunctionTimesOutAndAnswersAsLambda()
    {
        // The function hangs: it runs a child process that never ends on its own.
        await using var host = await StartAsync(Bootstraps.Script("sleep 3600"), timeoutSeconds: 1);

        var answer = await Invoker.InvokeAsync(host, "{}", tail: true);

        Assert.Equal(200, answer.Status);
        Assert.Equal("Unhandled", answer.Header(InvokeApiHeaders.FunctionError));
        var error = JsonDocument.Parse(answer.Body).RootElement;
        Assert.Equal("Sandbox.Timedout", error.GetProperty("errorType").GetString());
        Assert.EndsWith("Task timed out after 1.00 seconds", error.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
        Assert.Contains("Status: timeout", answer.LogTail, StringComparison.Ordinal);
        Assert.Empty(host.EnvironmentProcessIds);
        Assert.Empty(ChildProcessesNamed("sleep", "3600"));
    }

    [Fact]
    public async Task RefusesAnInvocationBeyondMaxConcurrencyWith429()
    {
        var fifo = Path.Combine(TempDirectories.Create("hybrid-fifo-"), "release");
        Assert.True((await ExternalProcess.RunAsync("mkfifo", [fifo])).Succeeded);
        var handler = $"""
            echo "holding $id"
            read -r _ < '{fifo}'
            {Bootstraps.Echo}
            """;
        await using var host = await StartAsync(Bootstraps.Script(handler), maxConcurrency: 1);

        var first = Invoker.InvokeAsync(host, """{"n":1}""");
        await _log.WaitForAsync(l => l.StartsWith("holding ", StringComparison.Ordinal));
        var refused = await Invoker.InvokeAsync(host, """{"n":2}""");
        await File.WriteAllTextAsync(fifo, "go\n");

        Assert.Equal(429, refused.Status);
        Assert.Equal("TooManyRequestsException", refused.Header("x-amzn-ErrorType"));
        Assert.Equal("Rate Exceeded.", JsonDocument.Parse(refused.Body).RootElement.GetProperty("message").GetString());
        Assert.Equal("""{"n":1}""", (await first).Body);
    }

    [Fact]
    public async Task StartsAnotherEnvironmentWhenEveryOneIsBusy()
    {
        // Each invocation waits on its own fifo, named by its request id, until the test writes to it.
        var holdDirectory = TempDirectories.Create("hybrid-hold-");
        var handler = $"""
            mkfifo '{holdDirectory}'/"$id"
            echo "holding $id"
            read -r _ < '{holdDirectory}'/"$id"
            {Bootstraps.Echo}
            """;
        await using var host = await StartAsync(Bootstraps.Script(handler), maxConcurrency: 2);

        var first = Invoker.InvokeAsync(host, """{"n":1}""");
        var firstHeld = await _log.WaitForAsync(l => l.StartsWith("holding ", StringComparison.Ordinal));
        var second = Invoker.InvokeAsync(host, """{"n":2}""");
        var secondHeld = await _log.WaitForAsync(l => l.StartsWith("holding ", StringComparison.Ordinal) && l != firstHeld);
        var busyEnvironments = host.EnvironmentProcessIds;
        foreach (var held in new[] { firstHeld, secondHeld })
        {
            await File.WriteAllTextAsync(Path.Combine(holdDirectory, held["holding ".Length..]), "go\n");
        }

        Assert.Equal(2, busyEnvironments.Distinct().Count());
        Assert.Equal("""{"n":1}""", (await first).Body);
        Assert.Equal("""{"n":2}""", (await second).Body);
    }

    [Fact]
    public async Task SurfacesAnInitErrorThatTheRuntimePosts()
    {
        var init = """
            curl -sS -o /dev/null --data '{"errorMessage":"SERVER_URL is not set","errorType":"Runtime.InvalidConfiguration"}' "$api/init/error"
            exit 1
            """;
        await using var host = await StartAsync(Bootstraps.Script(Bootstraps.Echo, init));

        var answer = await Invoker.InvokeAsync(host, "{}", tail: true);

        Assert.Equal("Unhandled", answer.Header(InvokeApiHeaders.FunctionError));
        Assert.Equal("Runtime.InvalidConfiguration", JsonDocument.Parse(answer.Body).RootElement.GetProperty("errorType").GetString());
        Assert.Contains("Init Duration: ", answer.LogTail, StringComparison.Ordinal);
        Assert.Empty(host.EnvironmentProcessIds);
    }

    [Fact]
    public async Task ReportsARuntimeThatExitsAsRuntimeExitError()
    {
        await using var host = await StartAsync(Bootstraps.Script("exit 3"));

        var answer = await Invoker.InvokeAsync(host, "{}");

        var error = JsonDocument.Parse(answer.Body).RootElement;
        Assert.Equal("Unhandled", answer.Header(InvokeApiHeaders.FunctionError));
        Assert.Equal("Runtime.ExitError", error.GetProperty("errorType").GetString());
        Assert.EndsWith("Runtime exited with error: exit status 3", error.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
        Assert.Empty(host.EnvironmentProcessIds);
    }

    [Fact]
    public async Task ShutsDownAnIdleEnvironmentAfterTheIdleTimeout()
    {
        await using var host = await StartAsync(Bootstraps.Script(Bootstraps.Echo), idleTimeout: TimeSpan.FromMilliseconds(200));
        await Invoker.InvokeAsync(host, "{}");
        var processId = Assert.Single(host.EnvironmentProcessIds);

        await WaitForExitAsync(processId);

        Assert.False(IsAlive(processId));
    }

    [Fact]
    public async Task LeavesNoProcessBehindWhenDisposed()
    {
        var host = await StartAsync(Bootstraps.Script(Bootstraps.Echo));
        await Task.WhenAll(Invoker.InvokeAsync(host, "{}"), Invoker.InvokeAsync(host, "{}"));
        var processIds = host.EnvironmentProcessIds;
        Assert.NotEmpty(processIds);

        await host.DisposeAsync();

        Assert.All(processIds, id => Assert.False(IsAlive(id)));
    }

    [Fact]
    public async Task AnswersAnUnknownFunctionWith404ResourceNotFound()
    {
        await using var host = await StartAsync(Bootstraps.Script(Bootstraps.Echo));

        var answer = await Invoker.InvokeAsync(host, "{}", functionName: "other");

        Assert.Equal(404, answer.Status);
        Assert.Equal("ResourceNotFoundException", answer.Header("x-amzn-ErrorType"));
        Assert.Empty(host.EnvironmentProcessIds);
    }

    [Fact]
    public async Task AcceptsTheFunctionsArnAsItsName()
    {
        await using var host = await StartAsync(Bootstraps.Script(Bootstraps.Echo));

        var answer = await Invoker.InvokeAsync(host, "{}", functionName: host.Options.FunctionArn + ":$LATEST");

        Assert.Equal(200, answer.Status);
    }

    /// <summary>
    /// The lab's benchmark.py signs for ap-south-1 whatever region the stack is in; a client's
    /// signature, for any region, is accepted as is (the host listens on loopback only).
    /// </summary>
    [Theory]
    [InlineData("us-east-1")]
    [InlineData("ap-south-1")]
    [InlineData("eu-west-3")]
    public async Task AcceptsASignatureForAnyRegion(string region)
    {
        await using var host = await StartAsync(Bootstraps.Script(Bootstraps.Echo));
        var authorization = $"AWS4-HMAC-SHA256 Credential=testing/20261202/{region}/lambda/aws4_request, "
            + "SignedHeaders=content-type;host;x-amz-date, Signature=" + new string('0', 64);

        var answer = await Invoker.InvokeAsync(host, """{"image_url":"https://images.example/a.png"}""", authorization: authorization);

        Assert.Equal(200, answer.Status);
        Assert.Equal("""{"image_url":"https://images.example/a.png"}""", answer.Body);
    }

    [Fact]
    public async Task RejectsAPayloadThatIsNotJson()
    {
        await using var host = await StartAsync(Bootstraps.Script(Bootstraps.Echo));

        var answer = await Invoker.InvokeAsync(host, "not json");

        Assert.Equal(400, answer.Status);
        Assert.Equal("InvalidRequestContentException", answer.Header("x-amzn-ErrorType"));
    }

    [Fact]
    public async Task RejectsAPayloadOverSixMegabytesWith413()
    {
        await using var host = await StartAsync(Bootstraps.Script(Bootstraps.Echo));

        var answer = await Invoker.InvokeAsync(host, $"\"{new string('x', 6 * 1024 * 1024)}\"");

        Assert.Equal(413, answer.Status);
        Assert.Equal("RequestTooLargeException", answer.Header("x-amzn-ErrorType"));
        Assert.Empty(host.EnvironmentProcessIds);
    }

    [Fact]
    public async Task RefusesToStartWithoutTheBootstrap()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => StartAsync("/nonexistent/bootstrap"));

        Assert.Contains("/nonexistent/bootstrap", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Processes whose command line is exactly <paramref name="arguments"/> (Linux /proc).</summary>
    static List<int> ChildProcessesNamed(params string[] arguments)
    {
        var expected = string.Join('\0', arguments) + '\0';
        return [.. Directory.EnumerateDirectories("/proc")
            .Select(d => (Id: int.TryParse(Path.GetFileName(d), out var id) ? id : 0, Directory: d))
            .Where(p => p.Id > 0 && ReadCommandLine(p.Directory) == expected)
            .Select(p => p.Id)];
    }

    static string? ReadCommandLine(string procDirectory)
    {
        try
        {
            return File.ReadAllText(Path.Combine(procDirectory, "cmdline"));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
