using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;
using HybridIngest.Offline;

namespace HybridIngest.Cli.Local;

/// <summary>
/// The repository's <c>infra/</c> root module applied to the local AWS emulator, unchanged: the
/// emulator goes in through the module's <c>aws_endpoint_url</c> variable (see infra/README.md),
/// and everything Terraform writes (working directory, state) goes under <c>.hybrid/terraform/</c>,
/// never into infra/. Each command's output is appended to <paramref name="logFile"/>.
/// </summary>
public sealed class LocalTerraform(string moduleDirectory, string stateDirectory, string logFile)
{
    string StateFile => Path.Combine(stateDirectory, "terraform.tfstate");

    public async Task InitAsync(CancellationToken cancellationToken)
    {
        List<string> arguments = ["init", "-input=false"];
        if (TerraformProviderMirror.Find() is { } plugins)
        {
            arguments.Add($"-plugin-dir={plugins}");
        }
        if (File.Exists(Path.Combine(moduleDirectory, ".terraform.lock.hcl")))
        {
            // The committed lock file is the module's; local mode only reads it.
            arguments.Add("-lockfile=readonly");
        }
        await RunAsync(arguments, cancellationToken);
    }

    public Task ApplyAsync(IReadOnlyDictionary<string, string> variables, TerraformProgress progress, CancellationToken cancellationToken) =>
        RunAsync(["apply", "-input=false", "-auto-approve", $"-state={StateFile}", .. VariableArguments(variables)], cancellationToken, progress);

    public Task DestroyAsync(IReadOnlyDictionary<string, string> variables, TerraformProgress progress, CancellationToken cancellationToken) =>
        // No refresh: the state is this command's own, and refreshing every resource first doubles the time.
        RunAsync(["destroy", "-input=false", "-auto-approve", "-refresh=false", $"-state={StateFile}", .. VariableArguments(variables)], cancellationToken, progress);

    /// <summary><c>terraform output -json</c>: each output's value by name.</summary>
    public async Task<IReadOnlyDictionary<string, JsonElement>> OutputsAsync(CancellationToken cancellationToken)
    {
        var json = await RunAsync(["output", "-json", $"-state={StateFile}"], cancellationToken);
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateObject().ToDictionary(output => output.Name, output => output.Value.GetProperty("value").Clone());
    }

    public bool HasState => File.Exists(StateFile);

    static IEnumerable<string> VariableArguments(IReadOnlyDictionary<string, string> variables) =>
        variables.Select(variable => $"-var={variable.Key}={variable.Value}");

    /// <summary>Runs terraform; <paramref name="progress"/>, if given, reads its output as it comes (the buffered output is returned too).</summary>
    async Task<string> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, TerraformProgress? progress = null)
    {
        Directory.CreateDirectory(stateDirectory);
        var command = CliWrap.Cli.Wrap(Tool.Terraform.Name)
            .WithArguments([$"-chdir={moduleDirectory}", arguments[0], "-no-color", .. arguments.Skip(1)])
            .WithEnvironmentVariables(new Dictionary<string, string?>
            {
                ["TF_DATA_DIR"] = Path.Combine(stateDirectory, ".terraform"),
                ["TF_IN_AUTOMATION"] = "1",
                ["TF_INPUT"] = "0",
            })
            .WithValidation(CommandResultValidation.None);
        if (progress is not null)
        {
            command = command.WithStandardOutputPipe(PipeTarget.ToDelegate(progress.Observe));
        }
        BufferedCommandResult run;
        try
        {
            // Cut short, the process tree is killed: every caller then stops moto_server, which holds all the resources.
            run = await command.ExecuteBufferedAsync(cancellationToken);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Checked before the command started anything; gone since.
            throw new UserException(Tool.Terraform.NotFound, ExitCode.MissingTool);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        await File.AppendAllTextAsync(logFile, $"$ terraform {string.Join(' ', arguments)}{Environment.NewLine}{run.StandardOutput}{run.StandardError}", CancellationToken.None);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"terraform {arguments[0]} failed (exit code {run.ExitCode}):{Environment.NewLine}{run.StandardError.Trim()}");
        }
        return run.StandardOutput;
    }
}
