using System.Security.Cryptography;

namespace HybridIngest.Contracts;

/// <summary>
/// A stored image's integrity record: S3's own SHA-256 checksum (<c>x-amz-checksum-sha256</c>), which
/// S3 verifies on write and returns with HeadObject/GetObject in checksum mode. A single PutObject
/// stores the full-object form, the base64 SHA-256 of the bytes; a multipart upload stores the
/// composite form, the base64 SHA-256 of the parts' SHA-256s followed by <c>-N</c> (N parts).
/// </summary>
public static class S3Checksum
{
    public static string FullObject(ReadOnlySpan<byte> sha256) => Convert.ToBase64String(sha256);

    /// <param name="partSha256s">The SHA-256 of each part, in part order, concatenated.</param>
    public static string Composite(ReadOnlySpan<byte> partSha256s) =>
        $"{Convert.ToBase64String(SHA256.HashData(partSha256s))}-{partSha256s.Length / SHA256.HashSizeInBytes}";

    /// <summary>The number of parts of a composite checksum; null for the full-object form.</summary>
    public static int? CompositeParts(string checksum) =>
        checksum.LastIndexOf('-') is var dash and > 0 && int.TryParse(checksum.AsSpan(dash + 1), out var parts) ? parts : null;
}
