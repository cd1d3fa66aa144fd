using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Server.Tests.Infrastructure;
using HybridIngest.Testing;

namespace HybridIngest.Server.Tests;

/// <summary>The happy path, verified through the S3 API: bytes, SHA-256, key, Content-Type, metadata.</summary>
public sealed class ProcessImageTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    public static TheoryData<string> ImageNames => new(SampleImages.All.Select(image => image.Name));

    [Theory]
    [MemberData(nameof(ImageNames))]
    public async Task StoresImageWithSniffedExtensionAndMetadata(string name)
    {
        var image = SampleImages.All.Single(i => i.Name == name);
        // The URL's extension and the origin's Content-Type both lie: only the bytes count.
        var url = moto.Origin.Serve($"stored/{name}/picture.bin", new OriginResponse(image.Bytes) { ContentType = "application/octet-stream" });
        await using var server = moto.StartServer();

        using var answer = await server.Client.PostAsJsonAsync("/process-image",
            new ProcessImageRequest(url.ToString(), RequestId: $"test-{name}"), HybridIngestJsonContext.Default.ProcessImageRequest);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var body = await answer.Content.ReadFromJsonAsync(HybridIngestJsonContext.Default.ProcessImageResponse);
        Assert.NotNull(body);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(image.Bytes));
        Assert.True(body.Success);
        Assert.Equal($"images/{body.ImageId}.{image.Extension}", body.Key);
        // The lab's https form, path-style on the emulator's endpoint; s3:// for tools.
        Assert.Equal($"{moto.Moto.Endpoint.ToString().TrimEnd('/')}/{MotoFixture.Bucket}/{body.Key}", body.S3Location);
        Assert.Equal($"s3://{MotoFixture.Bucket}/{body.Key}", body.S3Uri);
        Assert.Equal(MotoFixture.Bucket, body.Bucket);
        Assert.Equal(image.Extension, body.FileExtension);
        Assert.Equal(image.ContentType, body.ContentType);
        Assert.Equal(image.Bytes.Length, body.FileSize);
        Assert.Equal(sha256, body.Sha256);
        Assert.Equal($"test-{name}", body.RequestId);
        Assert.Equal($"test-{name}", answer.Headers.GetValues(ServerHeaders.RequestId).Single());

        using var stored = await moto.S3.GetObjectAsync(new GetObjectRequest { BucketName = MotoFixture.Bucket, Key = body.Key, ChecksumMode = ChecksumMode.ENABLED });
        using var bytes = new MemoryStream();
        await stored.ResponseStream.CopyToAsync(bytes);
        Assert.Equal(image.Bytes, bytes.ToArray());
        Assert.Equal(image.ContentType, stored.Headers.ContentType);
        Assert.Equal(url.ToString(), stored.Metadata["source-url"]);
        Assert.Equal(2, stored.Metadata.Count); // source-url and request-id; the SHA-256 is S3's own checksum
        Assert.Equal($"test-{name}", stored.Metadata["request-id"]);
        Assert.Equal(Convert.ToBase64String(SHA256.HashData(image.Bytes)), stored.ChecksumSHA256);
    }

    [Fact]
    public async Task AcceptsTheLabLambdasExactRequest()
    {
        var url = moto.Origin.Serve("lab/cat.jpg", SampleImages.Jpeg);
        await using var server = moto.StartServer();
        // What the seed lab's Python Lambda sends: requests.post(url, json={"image_url", "timestamp"}).
        var json = $"{{\"image_url\": \"{url}\", \"timestamp\": \"2024-05-01T12:34:56.789012\"}}";

        using var answer = await server.Client.PostAsync("/process-image", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var body = await answer.Content.ReadFromJsonAsync(HybridIngestJsonContext.Default.ProcessImageResponse);
        Assert.NotNull(body);
        Assert.Equal("Image processed successfully", body.Message);
        Assert.Equal("jpg", body.FileExtension);
        Assert.False(string.IsNullOrEmpty(body.RequestId)); // generated when the caller sends none
        using var raw = System.Text.Json.JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        Assert.Equal(["success", "message", "image_id", "s3_location", "file_size", "file_extension", "timestamp"],
            raw.RootElement.EnumerateObject().Take(7).Select(property => property.Name)); // the lab's fields first, then ours
        Assert.Equal([body.Key], await moto.KeysAsync(body.Key));
    }

    [Fact]
    public async Task TakesTheCorrelationIdFromTheHeader()
    {
        var url = moto.Origin.Serve("header-id/cat.png", SampleImages.Png);
        await using var server = moto.StartServer();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/process-image")
        {
            Content = JsonContent.Create(new ProcessImageRequest(url.ToString()), HybridIngestJsonContext.Default.ProcessImageRequest),
        };
        request.Headers.Add(ServerHeaders.RequestId, "from-header-42");

        using var answer = await server.Client.SendAsync(request);

        var body = await answer.Content.ReadFromJsonAsync(HybridIngestJsonContext.Default.ProcessImageResponse);
        Assert.Equal("from-header-42", body?.RequestId);
        var head = await moto.S3.GetObjectMetadataAsync(MotoFixture.Bucket, body!.Key);
        Assert.Equal("from-header-42", head.Metadata["request-id"]);
    }

    [Fact]
    public async Task StoresAChunkedBodyOfUnknownLengthThroughMultipart()
    {
        // Larger than one 5 MiB part, so that the multipart path uploads more than one part.
        var image = SampleImages.NoisePng(6 * 1024 * 1024);
        var url = moto.Origin.Serve("chunked/noise.png", new OriginResponse(image.Bytes) { SendContentLength = false });
        await using var server = moto.StartServer();

        using var answer = await server.Client.PostAsJsonAsync("/process-image", new ProcessImageRequest(url.ToString()),
            HybridIngestJsonContext.Default.ProcessImageRequest);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var body = await answer.Content.ReadFromJsonAsync(HybridIngestJsonContext.Default.ProcessImageResponse);
        using var stored = await moto.S3.GetObjectAsync(new GetObjectRequest { BucketName = MotoFixture.Bucket, Key = body!.Key, ChecksumMode = ChecksumMode.ENABLED });
        using var bytes = new MemoryStream();
        await stored.ResponseStream.CopyToAsync(bytes);
        Assert.Equal(SHA256.HashData(image.Bytes), SHA256.HashData(bytes.ToArray()));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(image.Bytes)), body.Sha256); // the whole image's, not S3's composite
        var parts = image.Bytes.Chunk(ImageStore.PartSize).SelectMany(SHA256.HashData).ToArray();
        Assert.Equal(S3Checksum.Composite(parts), stored.ChecksumSHA256);
        Assert.EndsWith("-2", stored.ChecksumSHA256);
        Assert.Equal("image/png", stored.Headers.ContentType);
        Assert.Equal(0, await moto.OpenMultipartUploadsAsync());
    }

    [Fact]
    public async Task FollowsARedirectAndRecordsTheRequestedUrl()
    {
        var target = moto.Origin.Serve("redirect/target.gif", SampleImages.Gif);
        var url = moto.Origin.Serve("redirect/start", OriginResponse.Redirect(target.AbsolutePath));
        await using var server = moto.StartServer();

        using var answer = await server.Client.PostAsJsonAsync("/process-image", new ProcessImageRequest(url.ToString()),
            HybridIngestJsonContext.Default.ProcessImageRequest);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var body = await answer.Content.ReadFromJsonAsync(HybridIngestJsonContext.Default.ProcessImageResponse);
        Assert.Equal("gif", body?.FileExtension);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(SampleImages.Gif.Bytes)), body?.Sha256);
        var head = await moto.S3.GetObjectMetadataAsync(MotoFixture.Bucket, body!.Key);
        Assert.Equal(url.ToString(), head.Metadata["source-url"]); // what the caller asked for
    }
}
