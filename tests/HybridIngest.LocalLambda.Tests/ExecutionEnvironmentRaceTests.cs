using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using HybridIngest.Contracts;

namespace HybridIngest.LocalLambda.Tests;

/// <summary>
/// Hammers an execution environment's current invocation from every side at once. The runtime is
/// this test, speaking the real Runtime API for bootstraps that only announce themselves and wait;
/// per invocation it answers, fails, answers twice at once, answers a stale id first, dies while
/// answering, answers just after dying, answers at the deadline or hangs, while other invocations run
/// in other environments. Races are found by chance: the old code (the exit or the timeout chosen
/// while the runtime's answer was still accepted) showed 1 to 3 inconsistent invocations per run.
/// </summary>
public sealed class ExecutionEnvironmentRaceTests
{
    enum Move { Respond, Fail, AnswerTwice, AnswerStaleIdFirst, DieWhileAnswering, AnswerJustAfterDying, AnswerAtTheDeadline, Hang }

    /// <summary>One answer the runtime posted; Status is null when the host had already stopped.</summary>
    sealed record Post(string Kind, string Body, HttpStatusCode? Status);

    sealed record Outcome(string RequestId, Move Move, Invoker.Answer Answer);

    // Dying races the exit against the answer without costing a timeout, so it comes most often;
    // each deadline and hang costs the function's one-second timeout.
    static readonly Move[] Rotation =
    [
        Move.DieWhileAnswering, Move.Respond, Move.AnswerJustAfterDying, Move.AnswerTwice, Move.DieWhileAnswering, Move.Fail,
        Move.AnswerJustAfterDying, Move.AnswerStaleIdFirst, Move.DieWhileAnswering, Move.AnswerAtTheDeadline, Move.AnswerJustAfterDying, Move.Hang,
    ];

    const int Invocations = 360;
    const int Callers = 8;

    static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    readonly ConcurrentDictionary<string, ConcurrentQueue<Post>> _posts = new();
    readonly ConcurrentQueue<Task> _runtimes = new();

    [Fact]
    public async Task TheRuntimeHearsAcceptedExactlyForTheAnswerTheCallerGets()
    {
        var outcomes = new ConcurrentQueue<Outcome>();
        var host = await LocalLambdaHost.StartAsync(new LocalLambdaOptions
        {
            FunctionName = "race",
            BootstrapPath = AnnouncingBootstrap(),
            TimeoutSeconds = 1,
            MaxConcurrency = Callers,
            Log = OnLog,
        });
        await using (host)
        {
            var taken = -1;
            await Task.WhenAll(Enumerable.Range(0, Callers).Select(async _ =>
            {
                int i;
                while ((i = Interlocked.Increment(ref taken)) < Invocations)
                {
                    var move = Rotation[i % Rotation.Length];
                    var answer = await Invoker.InvokeAsync(host, JsonSerializer.Serialize(new Dictionary<string, string> { ["move"] = move.ToString() }));
                    outcomes.Enqueue(new Outcome(answer.Header("x-amzn-RequestId")!, move, answer));
                }
            }));
        }
        // Every runtime loop ends when its environment is shut down; a failure in one surfaces here.
        await Task.WhenAll(_runtimes);

        var wrong = outcomes.Select(Check).OfType<string>().ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {outcomes.Count} invocations ended inconsistently:\n{string.Join('\n', wrong.Take(20))}");
        Assert.Equal(Invocations, outcomes.Count);
    }

    /// <summary>Null when the invocation ended consistently, else what was wrong.</summary>
    string? Check(Outcome outcome)
    {
        var (id, move, answer) = outcome;
        if (answer.Status != 200)
        {
            return $"{move} {id}: the caller got {answer.Status} {answer.Body}";
        }
        var accepted = _posts.GetValueOrDefault(id)?.Where(p => p.Status == HttpStatusCode.Accepted).ToList() ?? [];
        var functionError = answer.Header("X-Amz-Function-Error");
        if (accepted is [var post])
        {
            var expectedError = post.Kind == "error" ? "Unhandled" : null;
            return answer.Body == post.Body && functionError == expectedError
                ? null
                : $"{move} {id}: the runtime's {post.Kind} {post.Body} was accepted, but the caller got {functionError} {answer.Body}";
        }
        if (accepted.Count > 1)
        {
            return $"{move} {id}: {accepted.Count} answers were accepted";
        }
        // Any move may land on a warm environment whose process was killed after its last answer.
        var errorType = JsonDocument.Parse(answer.Body).RootElement.TryGetProperty("errorType", out var type) ? type.GetString() : null;
        return functionError == "Unhandled" && errorType is "Runtime.ExitError" or "Sandbox.Timedout"
            ? null
            : $"{move} {id}: no answer was accepted and the caller got {functionError} {answer.Body}";
    }

    /// <summary>A bootstrap that prints its Runtime API address and process id, then waits to be served or killed.</summary>
    static string AnnouncingBootstrap()
    {
        var path = Path.Combine(TempDirectories.Create("hybrid-race-"), "bootstrap");
        File.WriteAllText(path, """
            #!/bin/bash
            echo "runtime $AWS_LAMBDA_RUNTIME_API $$"
            exec sleep infinity

            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    void OnLog(string line)
    {
        if (line.Split(' ') is ["runtime", var api, var processId])
        {
            _runtimes.Enqueue(Task.Run(() => ServeAsync(api, int.Parse(processId, CultureInfo.InvariantCulture))));
        }
    }

    /// <summary>The runtime loop of one environment: next, then the move the event names, until the environment is gone.</summary>
    async Task ServeAsync(string api, int processId)
    {
        using var process = Process.GetProcessById(processId);
        var runtime = new Uri($"http://{api}/");
        string? previous = null;
        var killed = false;
        while (true)
        {
            HttpResponseMessage next;
            try
            {
                next = await Http.GetAsync(new Uri(runtime, RuntimeApiPaths.Next));
            }
            catch (HttpRequestException)
            {
                // The host has stopped: the last invocation ended while this runtime was between events.
                return;
            }
            using var _ = next;
            if (next.StatusCode != HttpStatusCode.OK)
            {
                // 500: the environment was shut down, as after a timeout or an exit.
                return;
            }
            var id = next.Headers.GetValues(RuntimeApiHeaders.AwsRequestId).Single();
            var deadline = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(next.Headers.GetValues(RuntimeApiHeaders.DeadlineMs).Single(), CultureInfo.InvariantCulture));
            var move = Enum.Parse<Move>(JsonDocument.Parse(await next.Content.ReadAsStringAsync()).RootElement.GetProperty("move").GetString()!);
            var response = $$"""{"answered":"{{id}}"}""";
            var error = $$"""{"errorMessage":"failed {{id}}","errorType":"Test.Failure"}""";
            switch (move)
            {
                case Move.Respond:
                    await PostAsync(runtime, id, "response", response);
                    break;
                case Move.Fail:
                    await PostAsync(runtime, id, "error", error);
                    break;
                case Move.AnswerTwice:
                    await Task.WhenAll(PostAsync(runtime, id, "response", response), PostAsync(runtime, id, "error", error));
                    break;
                case Move.AnswerStaleIdFirst:
                    await PostAsync(runtime, previous ?? Guid.NewGuid().ToString(), "response", response);
                    await PostAsync(runtime, id, "response", response);
                    break;
                case Move.DieWhileAnswering when !killed:
                    // A warm environment whose kill lost the race may serve again: kill a process once only.
                    killed = true;
                    await Task.WhenAll(Task.Run(() => process.Kill()), PostAsync(runtime, id, "response", response));
                    break;
                case Move.AnswerJustAfterDying when !killed:
                    killed = true;
                    process.Kill();
                    await process.WaitForExitAsync();
                    await PostAsync(runtime, id, "response", response);
                    break;
                case Move.DieWhileAnswering or Move.AnswerJustAfterDying:
                    await PostAsync(runtime, id, "response", response);
                    break;
                case Move.AnswerAtTheDeadline:
                    // The function runs until its deadline (the race under test), not a wait for the host.
                    await Task.Delay(TimeSpan.FromTicks(Math.Max(0, (deadline - DateTimeOffset.UtcNow).Ticks)));
                    await PostAsync(runtime, id, "response", response);
                    break;
                case Move.Hang:
                    return;
            }
            previous = id;
        }
    }

    async Task PostAsync(Uri runtime, string id, string kind, string body)
    {
        var path = kind == "error" ? RuntimeApiPaths.Error(id) : RuntimeApiPaths.Response(id);
        HttpStatusCode? status;
        try
        {
            using var answer = await Http.PostAsync(new Uri(runtime, path), new StringContent(body, Encoding.UTF8, "application/json"));
            status = answer.StatusCode;
        }
        catch (HttpRequestException)
        {
            // A late answer (after a timeout) may find the host stopped once the last invocation ended.
            status = null;
        }
        _posts.GetOrAdd(id, _ => new()).Enqueue(new Post(kind, body, status));
    }
}
