using System.Text.Json;
using HybridIngest.Contracts;

namespace HybridIngest.Cli;

/// <summary>
/// Where the local stack keeps its state: <c>.hybrid/</c> in the current directory unless
/// <c>--state-dir</c> or <c>HYBRID_STATE_DIR</c> says otherwise. <c>state.json</c> there is the
/// <see cref="LocalStackStatus"/> that <c>local up</c> wrote; its Terraform state, logs and unpacked
/// artifacts live beside it.
/// </summary>
public sealed class LocalState(string directory)
{
    public const string EnvironmentVariable = "HYBRID_STATE_DIR";

    public string Directory { get; } = Path.GetFullPath(directory);
    public string StateFile => Path.Combine(Directory, "state.json");
    public string TerraformDirectory => Path.Combine(Directory, "terraform");
    public string LogDirectory => Path.Combine(Directory, "logs");
    public string RunDirectory => Path.Combine(Directory, "run");

    /// <summary>The log of one process or tool of the stack: <c>logs/NAME.log</c>.</summary>
    public string LogFile(string name) => Path.Combine(LogDirectory, $"{name}.log");

    /// <summary>The state directory from an explicit option, else the environment, else ./.hybrid.</summary>
    public static LocalState Resolve(string? stateDirectory = null)
    {
        if (string.IsNullOrEmpty(stateDirectory))
        {
            stateDirectory = Environment.GetEnvironmentVariable(EnvironmentVariable);
        }
        return new LocalState(string.IsNullOrEmpty(stateDirectory) ? Path.Combine(Environment.CurrentDirectory, ".hybrid") : stateDirectory);
    }

    /// <summary>The running stack, or null when <c>local up</c> has not run (or <c>down</c> removed it).</summary>
    public LocalStackStatus? Load()
    {
        if (!File.Exists(StateFile))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(StateFile), HybridIngestJsonContext.Default.LocalStackStatus);
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException(
                $"{StateFile} is not a local stack state ({e.Message}). Stop what it started by hand, then delete {Directory}.", e);
        }
    }

    public void Save(LocalStackStatus status)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var temporary = StateFile + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(status, HybridIngestJsonContext.Default.LocalStackStatus));
        File.Move(temporary, StateFile, overwrite: true);
    }

    /// <summary>
    /// Removes the state file, the Terraform state and the unpacked artifacts. The logs stay until
    /// the next <c>up</c>, for a look at what happened.
    /// </summary>
    public void Delete()
    {
        foreach (var directory in new[] { TerraformDirectory, RunDirectory })
        {
            if (System.IO.Directory.Exists(directory))
            {
                System.IO.Directory.Delete(directory, recursive: true);
            }
        }
        if (File.Exists(StateFile))
        {
            File.Delete(StateFile);
        }
    }
}
