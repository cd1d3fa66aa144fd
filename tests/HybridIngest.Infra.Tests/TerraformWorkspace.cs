using System.IO.Compression;
using System.Text.Json;
using HybridIngest.Offline;
using HybridIngest.Testing;

namespace HybridIngest.Infra.Tests;

/// <summary>
/// A private copy of the repository's <c>infra/</c> in a temp directory, initialized once, with its
/// own <c>.terraform</c> and state: tests in parallel never share Terraform files. Deleted on dispose.
/// </summary>
public sealed class TerraformWorkspace : IAsyncLifetime
{
    public static string InfraSource { get; } = Path.Combine(RepositoryLayout.Root, "infra");

    public string Root { get; } = Directory.CreateTempSubdirectory("hybrid-infra-").FullName;

    /// <summary>The module directory inside <see cref="Root"/>.</summary>
    public string Module => Path.Combine(Root, "infra");

    public async ValueTask InitializeAsync()
    {
        CopyModule(InfraSource, Module);
        var init = new List<string> { "init", "-input=false", "-no-color" };
        var pluginDir = TerraformProviderMirror.Find();
        if (!string.IsNullOrEmpty(pluginDir))
        {
            init.Add($"-plugin-dir={pluginDir}");
        }
        var result = await RunAsync(init, TimeSpan.FromMinutes(3));
        Assert.True(result.Succeeded, string.IsNullOrEmpty(pluginDir)
            ? $"{result}{Environment.NewLine}Without registry access, set {TerraformProviderMirror.Variable} to a provider mirror (e.g. /opt/tf-plugins)."
            : result.ToString());
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(Root, recursive: true);
        return ValueTask.CompletedTask;
    }

    public Task<ProcessRun> RunAsync(IEnumerable<string> arguments, TimeSpan? timeout = null) =>
        ExternalProcess.RunAsync("terraform", arguments, new Dictionary<string, string?>
        {
            ["TF_IN_AUTOMATION"] = "1",
            ["TF_INPUT"] = "0",
            ["CHECKPOINT_DISABLE"] = "1",
        }, Module, timeout ?? TimeSpan.FromMinutes(3));

    /// <summary><c>terraform output -json</c> of this workspace's state.</summary>
    public async Task<JsonElement> OutputsAsync()
    {
        var result = await RunAsync(["output", "-json", "-no-color"]);
        Assert.True(result.Succeeded, result.ToString());
        using var document = JsonDocument.Parse(result.StandardOutput);
        return document.RootElement.Clone();
    }

    /// <summary>
    /// A small zip holding one executable file, standing in for an artifact `hybrid package` builds;
    /// the emulator stores packages but never runs them.
    /// </summary>
    public string CreateDummyArtifact(string name, string entry)
    {
        var path = Path.Combine(Root, name);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        var file = zip.CreateEntry(entry);
        file.ExternalAttributes = Convert.ToInt32("100755", 8) << 16;
        using var writer = new StreamWriter(file.Open());
        writer.Write("#!/bin/sh\necho dummy artifact\n");
        return path;
    }

    static void CopyModule(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            var name = Path.GetFileName(file);
            if (name.Contains(".tfstate", StringComparison.Ordinal) || name == ".terraform.lock.hcl")
            {
                continue;
            }
            File.Copy(file, Path.Combine(to, name));
        }
        foreach (var directory in Directory.EnumerateDirectories(from))
        {
            if (Path.GetFileName(directory) != ".terraform")
            {
                CopyModule(directory, Path.Combine(to, Path.GetFileName(directory)));
            }
        }
    }
}
