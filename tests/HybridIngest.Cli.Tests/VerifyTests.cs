using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Testing;
using Spectre.Console.Testing;

namespace HybridIngest.Cli.Tests;

/// <summary>verify against a real moto_server's S3 API: one moto_server for the class, a bucket for each test.</summary>
public sealed class VerifyTests(VerifyTests.Emulator emulator) : IClassFixture<VerifyTests.Emulator>, IAsyncLifetime
{
    /// <summary>The class's moto_server.</summary>
    public sealed class Emulator : IAsyncLifetime
    {
        public MotoProcess Moto { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Moto = await MotoProcess.StartAsync();

        public async ValueTask DisposeAsync() => await Moto.DisposeAsync();
    }

    const int MiB = 1024 * 1024;
    // S3's smallest part but the last, and the server's part size.
    const int PartSize = 5 * MiB;
    static readonly byte[] Image = [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3, 4, 5];

    readonly string _bucket = $"verify-{Guid.NewGuid():N}";
    IAmazonS3 _s3 = null!;
    readonly string _stateDirectory = Directory.CreateTempSubdirectory("hybrid-verify-test").FullName;

    public async ValueTask InitializeAsync()
    {
        _s3 = ImageVerifier.CreateClient("us-east-1", emulator.Moto.Endpoint.ToString());
        await _s3.PutBucketAsync(_bucket);
        await PutAsync("images/good.png", Image);
    }

    public ValueTask DisposeAsync()
    {
        _s3.Dispose();
        Directory.Delete(_stateDirectory, recursive: true);
        return ValueTask.CompletedTask;
    }

    StoredImage Reported(string key, long? size = null, string? sha256 = null) => new()
    {
        Bucket = _bucket,
        Key = key,
        Size = size ?? Image.Length,
        Sha256 = sha256 ?? Convert.ToHexStringLower(SHA256.HashData(Image)),
    };

    StoredImage Reported(string key, byte[] bytes) => Reported(key, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)));

    async Task<VerifyResult> VerifyAsync(StoredImage image) =>
        Assert.Single(await new ImageVerifier(_s3).VerifyAsync([image], CancellationToken.None));

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
    public async Task AcceptsASinglePutObjectWithItsFullObjectChecksum()
    {
        var result = await VerifyAsync(Reported("images/good.png"));

        Assert.Equal(VerifyStatus.Ok, result.Status);
        Assert.Equal(S3Checksum.FullObject(SHA256.HashData(Image)), result.StoredChecksum);
    }

    [Fact]
    public async Task AcceptsAMultipartObjectWithItsCompositeChecksum()
    {
        var bytes = RandomNumberGenerator.GetBytes(11 * MiB);
        await PutMultipartAsync("images/large.png", bytes);

        var result = await VerifyAsync(Reported("images/large.png", bytes));

        Assert.Equal(VerifyStatus.Ok, result.Status);
        Assert.Equal(S3Checksum.Composite(bytes.Chunk(PartSize).SelectMany(SHA256.HashData).ToArray()), result.StoredChecksum);
        Assert.EndsWith("-3", result.StoredChecksum);
    }

    [Fact]
    public async Task FindsAnObjectOverwrittenWithOtherBytesOfTheSameSize()
    {
        var other = Image.Reverse().ToArray();
        await PutAsync("images/good.png", other);

        var result = await VerifyAsync(Reported("images/good.png"));

        Assert.Equal(VerifyStatus.Sha256Differs, result.Status);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(other)), result.ActualSha256);
    }

    [Fact]
    public async Task FindsAMultipartObjectOverwrittenWithOtherBytesOfTheSameSize()
    {
        var bytes = RandomNumberGenerator.GetBytes(11 * MiB);
        await PutMultipartAsync("images/large.png", bytes);
        await PutMultipartAsync("images/large.png", RandomNumberGenerator.GetBytes(bytes.Length));

        var result = await VerifyAsync(Reported("images/large.png", bytes));

        Assert.Equal(VerifyStatus.Sha256Differs, result.Status);
    }

    [Fact]
    public async Task FindsAnObjectStoredWithoutAChecksum()
    {
        // The SDK adds a checksum to every PutObject unless told to add one only where S3 requires it.
        using var s3 = new AmazonS3Client(
            new Amazon.Runtime.BasicAWSCredentials(MotoServer.AccessKeyId, MotoServer.SecretAccessKey),
            new AmazonS3Config
            {
                ServiceURL = emulator.Moto.Endpoint.ToString(),
                ForcePathStyle = true,
                RequestChecksumCalculation = Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED,
            });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "images/plain.png", InputStream = new MemoryStream(Image) });
        var store = Save(Reported("images/plain.png"));
        var console = new TestConsole();

        var exit = await new VerifyAction(console).RunAsync(store, CancellationToken.None);

        Assert.Equal(ExitCode.CheckFailed, exit);
        Assert.Contains("no S3 checksum", console.Output, StringComparison.Ordinal);
        var result = await VerifyAsync(Reported("images/plain.png"));
        Assert.Equal(VerifyStatus.NoChecksum, result.Status);
        Assert.Null(result.StoredChecksum);
    }

    [Fact]
    public async Task FindsAChecksumThatIsNotThatOfTheBytes()
    {
        // S3 refuses such a write; moto stores the checksum it is sent, which stands in for an object
        // whose bytes changed after S3 checked them.
        await _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _bucket,
            Key = "images/mislabelled.png",
            InputStream = new MemoryStream(Image),
            ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
            ChecksumSHA256 = S3Checksum.FullObject(SHA256.HashData(Image.Reverse().ToArray())),
        });
        var store = Save(Reported("images/mislabelled.png"));
        var console = new TestConsole();

        var exit = await new VerifyAction(console).RunAsync(store, CancellationToken.None);

        Assert.Equal(ExitCode.CheckFailed, exit);
        Assert.Contains("S3 checksum differs", console.Output, StringComparison.Ordinal);
        Assert.Equal(VerifyStatus.ChecksumDiffers, (await VerifyAsync(Reported("images/mislabelled.png"))).Status);
    }

    [Fact]
    public async Task FindsADeletedObjectMissing()
    {
        Assert.Equal(VerifyStatus.Ok, (await VerifyAsync(Reported("images/good.png"))).Status);
        await _s3.DeleteObjectAsync(_bucket, "images/good.png");

        var result = await VerifyAsync(Reported("images/good.png"));

        Assert.Equal(VerifyStatus.Missing, result.Status);
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

    Task PutAsync(string key, byte[] bytes) => _s3.PutObjectAsync(new PutObjectRequest
    {
        BucketName = _bucket,
        Key = key,
        InputStream = new MemoryStream(bytes),
        ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
    });

    /// <summary>Uploads as the server does a body of unknown length: SHA-256 checksummed parts of <see cref="PartSize"/>.</summary>
    async Task PutMultipartAsync(string key, byte[] bytes)
    {
        var upload = await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = _bucket,
            Key = key,
            ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
        });
        var parts = new List<PartETag>();
        foreach (var (chunk, number) in bytes.Chunk(PartSize).Select((chunk, index) => (chunk, index + 1)))
        {
            var part = await _s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = _bucket,
                Key = key,
                UploadId = upload.UploadId,
                PartNumber = number,
                InputStream = new MemoryStream(chunk),
                ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
            });
            parts.Add(new PartETag { PartNumber = number, ETag = part.ETag, ChecksumSHA256 = part.ChecksumSHA256 });
        }
        await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = _bucket,
            Key = key,
            UploadId = upload.UploadId,
            PartETags = parts,
        });
    }

    StoredImagesStore Save(params StoredImage[] images)
    {
        var store = new StoredImagesStore(new LocalState(_stateDirectory));
        store.Save(new StoredImagesFile
        {
            Source = "invoke",
            CreatedAt = DateTimeOffset.UtcNow,
            Region = "us-east-1",
            S3Endpoint = emulator.Moto.Endpoint.ToString(),
            Images = images,
        });
        return store;
    }
}
