using System.Runtime.InteropServices;
using HybridIngest.Offline;
using HybridIngest.Testing;
using SkiaSharp;

namespace HybridIngest.Bench;

/// <summary>What the benchmark modes share: options, the machine's description, percentiles, the server build.</summary>
static class Bench
{
    public static string? Option(string[] args, string name) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

    public static double Percentile(IReadOnlyList<double> sorted, double percent) => sorted.Count == 0 ? double.NaN
        : sorted[Math.Clamp((int)Math.Ceiling(percent / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    public static string Machine()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        var memory = File.ReadLines("/proc/meminfo").First().Split(':', 2)[1].Trim();
        var load = File.ReadAllText("/proc/loadavg").Split(' ')[..3];
        return $"{cpu}, {Environment.ProcessorCount} cores, {memory} RAM, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, " +
            $"load average {string.Join(' ', load)}";
    }

    public static bool OnPath(string tool) => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
        .Any(directory => File.Exists(Path.Combine(directory, tool)));

    /// <summary>Publishes the server as it ships (self-contained, trimmed, linux-x64) into a temp folder.</summary>
    public static async Task<string> PublishServerAsync()
    {
        var output = Directory.CreateTempSubdirectory("hybrid-bench-server-").FullName;
        Console.WriteLine($"dotnet publish {RepositoryLayout.ServerProject} (linux-x64, self-contained, trimmed) …");
        await DotnetPublish.RunAsync(RepositoryLayout.ServerProject, "linux-x64", Path.Combine(output, "publish"),
            [.. DotnetPublish.ServerArguments, "--artifacts-path", Path.Combine(output, "build")]);
        return Path.Combine(output, "publish", "HybridIngest.Server");
    }

    /// <summary>A real JPEG of random pixels (which JPEG cannot shrink) of at least <paramref name="minimumBytes"/>.</summary>
    public static byte[] NoiseJpeg(int minimumBytes)
    {
        var random = new Random(1);
        for (var side = 64; ; side += 4)
        {
            using var bitmap = new SKBitmap(side, side, SKColorType.Rgba8888, SKAlphaType.Opaque);
            var pixels = new byte[side * side * 4];
            random.NextBytes(pixels);
            Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
            using var jpeg = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
            if (jpeg.Size >= minimumBytes)
            {
                return jpeg.ToArray();
            }
        }
    }
}
