using System.Text;

namespace HybridIngest.Testing;

/// <summary>
/// Decodes an <c>aws-chunked</c> request body (the AWS SDKs' streaming upload encoding):
/// <c>hex-size[;chunk-signature=…]\r\n data \r\n</c> … <c>0[;…]\r\n</c>, then trailer lines such as
/// <c>x-amz-checksum-sha256:…</c> and an empty line. Chunk signatures are not checked.
/// </summary>
sealed class AwsChunkedReader(Stream body)
{
    readonly byte[] _buffer = new byte[64 * 1024];
    int _start;
    int _end;

    /// <summary>Hands every data byte to <paramref name="onData"/> in order and returns the trailers.</summary>
    public async Task<Dictionary<string, string>> ReadAsync(Action<byte[], int, int> onData, CancellationToken cancellationToken)
    {
        while (true)
        {
            var header = await ReadLineAsync(cancellationToken) ?? throw new InvalidDataException("aws-chunked body ended before its last chunk");
            var size = Convert.ToInt64(header.Split(';', 2)[0], 16);
            if (size == 0)
            {
                break;
            }
            for (var remaining = size; remaining > 0;)
            {
                if (_start == _end && !await FillAsync(cancellationToken))
                {
                    throw new InvalidDataException("aws-chunked body ended inside a chunk");
                }
                var take = (int)Math.Min(remaining, _end - _start);
                onData(_buffer, _start, take);
                _start += take;
                remaining -= take;
            }
            if (await ReadLineAsync(cancellationToken) is not "")
            {
                throw new InvalidDataException("aws-chunked chunk not followed by CRLF");
            }
        }
        var trailers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (await ReadLineAsync(cancellationToken) is { Length: > 0 } line)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                trailers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }
        return trailers;
    }

    async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                var line = Encoding.ASCII.GetString(_buffer, _start, newline - _start).TrimEnd('\r');
                _start = newline + 1;
                return line;
            }
            if (_end - _start == _buffer.Length)
            {
                throw new InvalidDataException("aws-chunked line longer than 64 KiB");
            }
            if (!await FillAsync(cancellationToken))
            {
                return null;
            }
        }
    }

    async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        var read = await body.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        _end += read;
        return read > 0;
    }
}
