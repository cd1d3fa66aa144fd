using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using HybridIngest.Contracts;
using HybridIngest.Server.Tests.Infrastructure;

namespace HybridIngest.Server.Tests;

/// <summary><c>POST /test-process</c>, the seed lab's smoke test: a generated PNG stored under test/ with no download.</summary>
public sealed class TestProcessTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    [Fact]
    public async Task StoresAGeneratedPngUnderTestWithItsChecksum()
    {
        await using var server = moto.StartServer();

        using var answer = await server.Client.PostAsync("/test-process", content: null);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var body = await answer.Content.ReadFromJsonAsync(HybridIngestJsonContext.Default.ProcessImageResponse);
        Assert.NotNull(body);
        Assert.True(body.Success);
        Assert.Equal("Test image processed successfully", body.Message);
        Assert.Equal($"test/{body.ImageId}.png", body.Key);
        Assert.Equal("png", body.FileExtension);
        Assert.Equal("image/png", body.ContentType);
        Assert.Equal($"{moto.Moto.Endpoint.ToString().TrimEnd('/')}/{MotoFixture.Bucket}/{body.Key}", body.S3Location);
        Assert.Equal($"s3://{MotoFixture.Bucket}/{body.Key}", body.S3Uri);
        Assert.True(DateTimeOffset.TryParse(body.Timestamp, out _), body.Timestamp);

        using var stored = await moto.S3.GetObjectAsync(new GetObjectRequest { BucketName = MotoFixture.Bucket, Key = body.Key, ChecksumMode = ChecksumMode.ENABLED });
        using var bytes = new MemoryStream();
        await stored.ResponseStream.CopyToAsync(bytes);
        var image = bytes.ToArray();
        Assert.Equal(TestProcessApi.TestImage, image);
        Assert.Equal(image.Length, body.FileSize);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(image)), body.Sha256);
        Assert.Equal(Convert.ToBase64String(SHA256.HashData(image)), stored.ChecksumSHA256);
        Assert.Equal("image/png", stored.Headers.ContentType);
        Assert.Equal(body.RequestId, stored.Metadata["request-id"]);
        Assert.Equal([body.Key], await moto.KeysAsync("test/"));
        AssertIsOnePixelPng(image);
    }

    [Fact]
    public async Task ReportsAMissingBucketAsStorageFailed()
    {
        await using var server = moto.StartServer(new Dictionary<string, string> { ["S3_BUCKET"] = "no-such-bucket" });

        using var answer = await server.Client.PostAsync("/test-process", content: null);

        Assert.Equal(HttpStatusCode.BadGateway, answer.StatusCode);
        var problem = await answer.Content.ReadFromJsonAsync(HybridIngestJsonContext.Default.ErrorResponse);
        Assert.Equal(ErrorCodes.StorageFailed, problem?.Code);
        Assert.Contains("no-such-bucket", problem?.Detail);
    }

    /// <summary>Signature, a 1x1 IHDR, an IDAT that inflates to one scanline (filter byte + 4 RGBA bytes), IEND.</summary>
    static void AssertIsOnePixelPng(byte[] png)
    {
        Assert.Equal(ImageFormat.Png, ImageFormat.Sniff(png));
        var chunks = new List<(string Type, byte[] Data)>();
        for (var offset = 8; offset < png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            chunks.Add((System.Text.Encoding.ASCII.GetString(png, offset + 4, 4), png[(offset + 8)..(offset + 8 + length)]));
            offset += 12 + length;
        }
        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks.Select(c => c.Type));
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(chunks[0].Data));
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(chunks[0].Data.AsSpan(4)));
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(new MemoryStream(chunks[1].Data), CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }
        Assert.Equal(5, inflated.Length);
    }
}
