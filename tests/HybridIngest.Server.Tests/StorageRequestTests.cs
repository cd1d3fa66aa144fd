using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Server.Tests.Infrastructure;
using HybridIngest.Testing;

namespace HybridIngest.Server.Tests;

/// <summary>
/// What the server asks of S3 per image, counted at a checksum-verifying S3 sink (moto neither counts
/// nor checks): one PutObject for every image up to 5 MiB, known length or not, and no CopyObject;
/// multipart only for a larger body of unknown length. A body changed on the wire is refused by the
/// sink's SHA-256 check, and the server then reports storage_failed and leaves nothing behind.
/// </summary>
public sealed class StorageRequestTests : IAsyncLifetime
{
    const string Bucket = "sink-tests";
    const int MiB = 1024 * 1024;
    S3Sink _sink = null!;
    ImageOrigin _origin = null!;

    public async ValueTask InitializeAsync()
    {
        _sink = await S3Sink.StartAsync();
        _sink.CreateBucket(Bucket);
        _origin = await ImageOrigin.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _origin.DisposeAsync();
        await _sink.DisposeAsync();
    }

    /// <summary>Exactly <paramref name="size"/> bytes that sniff as PNG (the server reads only the signature).</summary>
    static byte[] Image(int size)
    {
        var image = new byte[size];
        new Random(size).NextBytes(image);
        SampleImages.Png.Bytes.AsSpan(0, 8).CopyTo(image);
        return image;
    }

    async Task<(HttpStatusCode Status, string Body)> StoreAsync(string path, byte[] image, bool sendContentLength)
    {
        var url = _origin.Serve(path, new OriginResponse(image) { ContentType = "image/png", SendContentLength = sendContentLength });
        await using var server = IngestServer.Start(_sink.Endpoint, Bucket);
        using var answer = await server.Client.PostAsJsonAsync("/process-image", new ProcessImageRequest(url.ToString()),
            HybridIngestJsonContext.Default.ProcessImageRequest);
        return (answer.StatusCode, await answer.Content.ReadAsStringAsync());
    }

    public static TheoryData<int, bool, string[]> Sizes => new()
    {
        { 205 * 1024, true, ["PutObject"] },
        { 205 * 1024, false, ["PutObject"] },
        { 5 * MiB, true, ["PutObject"] },
        { 5 * MiB, false, ["PutObject"] },
        { 5 * MiB + 1, true, ["PutObject"] },
        { 5 * MiB + 1, false, ["CreateMultipartUpload", "UploadPart", "UploadPart", "CompleteMultipartUpload"] },
        { 11 * MiB, false, ["CreateMultipartUpload", "UploadPart", "UploadPart", "UploadPart", "CompleteMultipartUpload"] },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task StoresEachImageInTheFewestS3Requests(int size, bool sendContentLength, string[] expected)
    {
        var image = Image(size);

        var (status, body) = await StoreAsync($"sizes/{size}-{sendContentLength}.png", image, sendContentLength);

        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Equal(expected, _sink.Operations.Where(o => o != "ListMultipartUploads")); // the sweep at start is not per image
        var stored = _sink.Get(Bucket, _sink.Keys(Bucket).Single())!;
        Assert.Equal(image, stored.Body);
        Assert.Equal(["request-id", "source-url"], stored.Metadata.Keys.Order());
        var expectedChecksum = expected.Length == 1
            ? S3Checksum.FullObject(SHA256.HashData(image))
            : S3Checksum.Composite(image.Chunk(ImageStore.PartSize).SelectMany(SHA256.HashData).ToArray());
        Assert.Equal(expectedChecksum, stored.ChecksumSha256);
    }

    [Theory]
    [InlineData(205 * 1024, true)] // buffered: checksum in a header
    [InlineData(205 * 1024, false)]
    [InlineData(6 * MiB, true)] // streamed: checksum in the aws-chunked trailer
    [InlineData(6 * MiB, false)] // multipart: checksum per part
    public async Task ABodyChangedOnTheWayToS3IsRefusedAndLeavesNothing(int size, bool sendContentLength)
    {
        _sink.CorruptBodies = true;

        var (status, body) = await StoreAsync($"corrupt/{size}-{sendContentLength}.png", Image(size), sendContentLength);

        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.Contains($"\"code\":\"{ErrorCodes.StorageFailed}\"", body);
        Assert.Empty(_sink.Keys(Bucket));
        Assert.Equal(0, _sink.OpenMultipartUploads);
    }
}
