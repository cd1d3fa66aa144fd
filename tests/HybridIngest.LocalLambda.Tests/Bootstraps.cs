using HybridIngest.Cli;
using HybridIngest.Testing;

// The host, its runtimes and these tests are Linux-only (Lambda is).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace HybridIngest.LocalLambda.Tests;

/// <summary>Temp folders of this test run, removed when the test process exits.</summary>
static class TempDirectories
{
    static readonly System.Collections.Concurrent.ConcurrentBag<string> Created = [];

    static TempDirectories() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var directory in Created)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: the OS cleans the temp folder eventually.
            }
        }
    };

    public static string Create(string prefix)
    {
        var directory = Directory.CreateTempSubdirectory(prefix).FullName;
        Created.Add(directory);
        return directory;
    }
}

/// <summary>The function's bootstraps the tests run under the host.</summary>
static class Bootstraps
{
    static readonly Lazy<Task<string>> Published = new(PublishAsync);

    /// <summary>
    /// The real Native AOT bootstrap, as the real <see cref="Packager"/> packages it for lambda.zip into
    /// <see cref="RepositoryLayout.TestArtifacts"/> (shared with the CLI's tests: published once per run
    /// at most). HYBRID_BOOTSTRAP names an already-published one instead.
    /// </summary>
    public static Task<string> PublishedAsync() => Published.Value;

    static async Task<string> PublishAsync()
    {
        if (Environment.GetEnvironmentVariable("HYBRID_BOOTSTRAP") is { Length: > 0 } given)
        {
            return given;
        }
        var packaged = await new Packager(RepositoryLayout.Root, TextWriter.Null)
            .PackageAsync(Packager.HostArchitecture, RepositoryLayout.TestArtifacts, CancellationToken.None);
        return packaged.Bootstrap;
    }

    /// <summary>
    /// A bash custom runtime (as in AWS's custom runtime tutorial) whose handler is
    /// <paramref name="handler"/>: it has $api, $id (the request id) and $event (a file holding the
    /// event) and answers by posting to the Runtime API itself.
    /// </summary>
    public static string Script(string handler, string init = "")
    {
        var directory = TempDirectories.Create("hybrid-script-");
        var path = Path.Combine(directory, "bootstrap");
        File.WriteAllText(path, $$"""
            #!/bin/bash
            set -euo pipefail
            api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
            {{init}}
            work=$(mktemp -d)
            trap 'rm -rf "$work"' EXIT
            while true; do
              curl -sS -D "$work/headers" -o "$work/event" "$api/invocation/next"
              id=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$work/headers" | cut -d' ' -f2 | tr -d '\r')
              event="$work/event"
              {{handler}}
            done
            """.Replace("\r", "", StringComparison.Ordinal));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>Answers each event with the event itself.</summary>
    public const string Echo = """curl -sS -o /dev/null --data-binary "@$event" "$api/invocation/$id/response" """;
}
