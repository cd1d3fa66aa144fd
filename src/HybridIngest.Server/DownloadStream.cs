using System.Diagnostics;
using System.Security.Cryptography;
using HybridIngest.Contracts;

namespace HybridIngest.Server;

/// <summary>
/// The origin's body as the S3 upload reads it: every byte is counted and hashed (SHA-256) as it
/// arrives, the size limit is enforced while streaming, the sniffed header is replayed, and the
/// first failure on the origin's side is kept, because the S3 SDK may wrap what this stream throws.
/// Reads use the download's own token, so the download deadline holds inside the upload.
/// </summary>
public sealed class DownloadStream(Stream origin, long? declaredLength, long maxBytes, CancellationToken downloadToken) : Stream
{
    readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    byte[] _header = [];
    byte[]? _hash;
    int _headerOffset;

    public long BytesRead { get; private set; }

    /// <summary>When the origin's last byte arrived (a <see cref="Stopwatch"/> timestamp), else 0.</summary>
    public long FinishedAt { get; private set; }

    /// <summary>What went wrong reading from the origin: an <see cref="IngestException"/> or the transport's error.</summary>
    public Exception? OriginFailure { get; private set; }

    /// <summary>Reads up to <paramref name="length"/> leading bytes (fewer only if the body is shorter); they are read again by the upload.</summary>
    public async Task<ReadOnlyMemory<byte>> ReadHeaderAsync(int length)
    {
        var header = new byte[length];
        var filled = 0;
        while (filled < length && await ReadFromOriginAsync(header.AsMemory(filled)) is var read and > 0)
        {
            filled += read;
        }
        _header = header[..filled];
        return _header;
    }

    /// <summary>The SHA-256 of every byte read; call after the last read.</summary>
    public byte[] Sha256() => _hash ??= _sha256.GetHashAndReset();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_headerOffset < _header.Length)
        {
            var count = Math.Min(buffer.Length, _header.Length - _headerOffset);
            _header.AsMemory(_headerOffset, count).CopyTo(buffer);
            _headerOffset += count;
            return count;
        }
        return await ReadFromOriginAsync(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Only the asynchronous path is expected; this keeps a synchronous caller correct.
    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    async ValueTask<int> ReadFromOriginAsync(Memory<byte> buffer)
    {
        if (OriginFailure is not null)
        {
            throw OriginFailure;
        }
        if (FinishedAt != 0)
        {
            return 0;
        }
        int read;
        try
        {
            read = await origin.ReadAsync(buffer, downloadToken);
        }
        catch (Exception e)
        {
            OriginFailure = e;
            throw;
        }
        BytesRead += read;
        if (BytesRead > maxBytes)
        {
            OriginFailure = new IngestException(ErrorCodes.TooLarge,
                $"the image is larger than the limit of {maxBytes} bytes (stopped after {BytesRead} bytes)");
            throw OriginFailure;
        }
        _sha256.AppendData(buffer.Span[..read]);
        if (read == 0 || BytesRead == declaredLength)
        {
            FinishedAt = Stopwatch.GetTimestamp();
        }
        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha256.Dispose();
            origin.Dispose();
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
