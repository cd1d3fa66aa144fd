using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using Spectre.Console.Testing;

namespace HybridIngest.Cli.Tests;

/// <summary>verify against a real moto_server's S3 API.</summary>
public sealed class VerifyTests : IAsyncLifetime
{
    const string Bucket = "verify-test";
    static readonly byte[] Image = [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3, 4, 5];

    MotoServer _moto = null!;
    IAmazonS3 _s3 = null!;
    readonly string _stateDirectory = Directory.CreateTempSubdirectory("hybrid-verify-test").FullName;

    public async Task InitializeAsync()
    {
        _moto = await MotoServer.StartAsync();
        _s3 = ImageVerifier.CreateClient("us-east-1", _moto.Endpoint.ToString());
        await _s3.PutBucketAsync(Bucket);
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "images/good.png", InputStream = new MemoryStream(Image) });
    }

    public async Task DisposeAsync()
    {
        _s3.Dispose();
        await _moto.DisposeAsync();
        Directory.Delete(_stateDirectory, recursive: true);
    }

    static StoredImage Reported(string key, long? size = null, string? sha256 = null) => new()
    {
        Bucket = Bucket,
        Key = key,
        Size = size ?? Image.Length,
        Sha256 = sha256 ?? Convert.ToHexStringLower(SHA256.HashData(Image)),
    };

    [Fact]
    public async Task FindsMatchingMissingAndDifferentObjects()
    {
        var results = await new ImageVerifier(_s3).VerifyAsync(
        [
            Reported("images/good.png"),
            Reported("images/gone.png"),
            Reported("images/good.png", size: Image.Length + 1),
            Reported("images/good.png", sha256: new string('0', 64)),
        ], CancellationToken.None);

        Assert.Equal([VerifyStatus.Ok, VerifyStatus.Missing, VerifyStatus.SizeDiffers, VerifyStatus.Sha256Differs], results.Select(r => r.Status));
        Assert.Equal(Image.Length, results[0].ActualSize);
    }

    [Fact]
    public async Task ExitsZeroWhenEveryObjectMatches()
    {
        var store = Save(Reported("images/good.png"));
        var console = new TestConsole();

        var exit = await new VerifyAction(console).RunAsync(store, CancellationToken.None);

        Assert.Equal(ExitCode.Success, exit);
        Assert.Contains("All 1 object(s)", console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExitsNonZeroOnAMissingObject()
    {
        var store = Save(Reported("images/good.png"), Reported("images/gone.png"));
        var console = new TestConsole();

        var exit = await new VerifyAction(console).RunAsync(store, CancellationToken.None);

        Assert.Equal(ExitCode.CheckFailed, exit);
        Assert.Contains("missing", console.Output, StringComparison.Ordinal);
        Assert.Contains("1 of 2", console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SaysWhatToRunWhenThereAreNoResults()
    {
        var store = new StoredImagesStore(new LocalState(Path.Combine(_stateDirectory, "empty")));

        var error = await Assert.ThrowsAsync<UserException>(() => new VerifyAction(new TestConsole()).RunAsync(store, CancellationToken.None));

        Assert.Contains("hybrid invoke", error.Message, StringComparison.Ordinal);
    }

    StoredImagesStore Save(params StoredImage[] images)
    {
        var store = new StoredImagesStore(new LocalState(_stateDirectory));
        store.Save(new StoredImagesFile
        {
            Source = "invoke",
            CreatedAt = DateTimeOffset.UtcNow,
            Region = "us-east-1",
            S3Endpoint = _moto.Endpoint.ToString(),
            Images = images,
        });
        return store;
    }
}
