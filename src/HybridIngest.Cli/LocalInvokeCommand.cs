using System.CommandLine;
using System.Text.Json;
using HybridIngest.Cli.Local;
using HybridIngest.Contracts;
using Spectre.Console;
using static HybridIngest.Cli.SharedOptions;

namespace HybridIngest.Cli;

/// <summary>
/// <c>hybrid local invoke --event FILE</c>, as <c>sam local invoke</c>: one invocation on a stack of its
/// own (no Terraform: moto_server with the bucket, the server, the local Lambda host) in a fresh temporary
/// state directory, so a stack of <c>local up</c> may be running meanwhile. The event's bytes are the
/// payload, unchanged; the answer goes to stdout as <c>hybrid invoke</c> prints it; progress and then
/// the function's log go to stderr; the stack is stopped and its directory removed in every case.
/// </summary>
public static class LocalInvokeCommand
{
    /// <summary>The function handles one event at a time: one execution environment is all it needs.</summary>
    const int MaxConcurrency = 1;

    static readonly Option<string> Event = CreateEventOption();

    public static Command Create()
    {
        var command = new Command("invoke", "Start a stack of its own without Terraform (moto_server with the bucket, the server, the local Lambda host), invoke the function once with the event file's bytes, print its answer (stdout) and its log (stderr), and stop everything again.")
        {
            Event, Artifacts, InvokeJson,
        };
        command.SetAction((result, ct) => CommandAction.Run(() =>
            RunAsync(result.GetValue(Event)!, result.GetValue(Artifacts)!, result.GetValue(InvokeJson), ct)));
        return command;
    }

    static Option<string> CreateEventOption()
    {
        var option = Required(OptionKinds.Text<string>("--event",
            "The event to invoke the function with: a file of one JSON object, sent as it is (e.g. {\"image_url\": \"https://…\"}); - reads it from stdin.",
            "a file path, or - for stdin"));
        option.Aliases.Add("-e");
        return option;
    }

    static async Task<ExitCode> RunAsync(string eventFile, string artifacts, bool json, CancellationToken commandCancellation)
    {
        var payload = ReadEvent(eventFile);
        var progress = StandardErrorConsole();
        using var cancellation = SignalSafe.Relay(commandCancellation);
        var cancellationToken = cancellation.Token;

        var repositoryRoot = Packager.FindRepositoryRoot();
        var state = new LocalState(Directory.CreateTempSubdirectory("hybrid-local-invoke-").FullName);
        var stack = new LocalStack(state, repositoryRoot, progress);
        progress.MarkupLineInterpolated($"A stack of its own for this invocation, in {state.Directory} (removed when done; its logs are kept if it fails to start)");
        var keepLogs = false;
        try
        {
            LocalStackStatus up;
            try
            {
                up = await stack.UpAsync(new LocalUpOptions(artifacts, MaxConcurrency, Terraform: false), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException && Directory.Exists(state.LogDirectory))
            {
                // Up has stopped what it started; its logs say why it failed.
                keepLogs = true;
                progress.MarkupLineInterpolated($"The stack's logs stay in {state.LogDirectory}.");
                throw;
            }
            try
            {
                var target = InvokeTarget.Local(up, $"a stack of its own ({state.Directory})");
                progress.MarkupLineInterpolated($"Invoking [bold]{target.FunctionName}[/] at {target.LambdaEndpoint} with {EventName(eventFile)}");
                var (outcome, answer) = await InvokeAction.InvokeAsync(target, payload, cancellationToken);
                return await new InvokeAction(AnsiConsole.Console, json ? Console.Out : null).PrintAsync(target, outcome, answer);
            }
            finally
            {
                // Not cancellable: after Ctrl+C this is exactly what must still run (see Program.Main).
                await stack.DownAsync(destroy: false, CancellationToken.None);
                // Read once the host has stopped: by then it has written every line the bootstrap printed.
                await PrintFunctionLogAsync(state, progress);
            }
        }
        finally
        {
            if (!keepLogs)
            {
                Directory.Delete(state.Directory, recursive: true);
            }
        }
    }

    /// <summary>The event's bytes, once they are known to be one JSON object; else <see cref="ExitCode.Usage"/> before anything starts.</summary>
    static byte[] ReadEvent(string eventFile)
    {
        var name = EventName(eventFile);
        byte[] bytes;
        try
        {
            if (eventFile == "-")
            {
                using var stdin = Console.OpenStandardInput();
                using var buffer = new MemoryStream();
                stdin.CopyTo(buffer);
                bytes = buffer.ToArray();
            }
            else if (Directory.Exists(eventFile))
            {
                throw new UserException($"--event: {name} is a directory, not a file.");
            }
            else
            {
                bytes = File.ReadAllBytes(eventFile);
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new UserException($"--event: {name} does not exist.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserException($"--event: cannot read {name}: {e.Message}");
        }

        JsonValueKind kind;
        try
        {
            using var document = JsonDocument.Parse(bytes);
            kind = document.RootElement.ValueKind;
        }
        catch (JsonException e)
        {
            throw new UserException($"--event: {name} is not JSON ({e.Message}). The function takes an event object such as {{\"image_url\": \"https://…\"}}.");
        }
        if (kind != JsonValueKind.Object)
        {
            throw new UserException($"--event: {name} holds a JSON {kind.ToString().ToLowerInvariant()}, not an object. The function takes an event object such as {{\"image_url\": \"https://…\"}}.");
        }
        return bytes;
    }

    static string EventName(string eventFile) => eventFile == "-" ? "the event on stdin" : $"the event file {eventFile}";

    /// <summary>The local Lambda host's log: START, END and REPORT lines and what the bootstrap printed, as CloudWatch would hold them.</summary>
    static async Task PrintFunctionLogAsync(LocalState state, IAnsiConsole progress)
    {
        var log = state.LogFile(LocalLambdaHostProcess.Name);
        if (!File.Exists(log))
        {
            return;
        }
        progress.Heading("Function log");
        // As written, tabs and all (REPORT's fields are tab-separated), not re-rendered by the console.
        foreach (var line in await File.ReadAllLinesAsync(log))
        {
            await Console.Error.WriteLineAsync(line);
        }
    }

    /// <summary>A console on stderr, so that stdout holds the answer alone (<c>--json | jq</c>).</summary>
    static IAnsiConsole StandardErrorConsole()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        ConsoleOutput.Configure(console.Profile, Console.IsErrorRedirected, Environment.GetEnvironmentVariable("COLUMNS"));
        return console;
    }
}
