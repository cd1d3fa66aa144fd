using System.Globalization;
using HybridIngest.Contracts;
using Spectre.Console;

namespace HybridIngest.Cli;

/// <summary><c>hybrid verify</c>: every image of the last invoke or bench, checked in S3 (see <see cref="ImageVerifier"/>).</summary>
public sealed class VerifyAction(IAnsiConsole console)
{
    public async Task<ExitCode> RunAsync(StoredImagesStore store, CancellationToken cancellationToken)
    {
        var file = store.Load();
        console.MarkupLineInterpolated($"Verifying {file.Images.Count} image(s) from the last {file.Source} ({store.Path}) in {file.S3Endpoint ?? $"S3 {file.Region}"}");
        using var s3 = ImageVerifier.CreateClient(file.Region, file.S3Endpoint);
        IReadOnlyList<VerifyResult> results;
        try
        {
            results = await new ImageVerifier(s3).VerifyAsync(file.Images, cancellationToken);
        }
        catch (Exception e) when (e is Amazon.Runtime.AmazonServiceException or HttpRequestException)
        {
            throw new UserException($"S3 could not be asked ({e.Message}). Is the stack still up, and are the credentials right?", ExitCode.CheckFailed);
        }

        var table = new Table().AddColumn("Bucket").AddColumn(new TableColumn("Key").NoWrap()).AddColumns("Size", "SHA-256", "S3 checksum")
            .AddColumn(new TableColumn("Result").NoWrap()); // the verdict in one piece, however narrow the terminal
        foreach (var result in results)
        {
            table.AddRow(
                Markup.Escape(result.Expected.Bucket),
                Markup.Escape(result.Expected.Key),
                result.Expected.Size.ToString(CultureInfo.InvariantCulture) + (result.Status == VerifyStatus.SizeDiffers ? $" (S3: {result.ActualSize})" : ""),
                result.Expected.Sha256[..Math.Min(16, result.Expected.Sha256.Length)] + "…",
                ChecksumForm(result.StoredChecksum),
                result.Status == VerifyStatus.Ok ? "[green]ok[/]" : $"[red]{Describe(result.Status)}[/]");
        }
        console.Write(table);

        var failed = results.Count(r => r.Status != VerifyStatus.Ok);
        console.MarkupLine(failed == 0
            ? $"[green]All {results.Count} object(s) are in S3 with the reported size and SHA-256, and S3's checksum matches their bytes.[/]"
            : $"[red]{failed} of {results.Count} object(s) missing, different, or without S3's checksum of their bytes.[/]");
        return failed == 0 ? ExitCode.Success : ExitCode.CheckFailed;
    }

    static string ChecksumForm(string? checksum) =>
        checksum is null ? "-" : S3Checksum.CompositeParts(checksum) is { } parts ? $"{parts} parts" : "full object";

    static string Describe(VerifyStatus status) => status switch
    {
        VerifyStatus.Missing => "missing",
        VerifyStatus.SizeDiffers => "size differs",
        VerifyStatus.Sha256Differs => "sha256 differs",
        VerifyStatus.NoChecksum => "no S3 checksum",
        VerifyStatus.ChecksumDiffers => "S3 checksum differs",
        _ => "ok",
    };
}
