using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HybridIngest.Testing;

/// <summary>An object as the sink holds it: its S3 checksum, composite (<c>…-N</c>) for multipart.</summary>
public sealed record SinkObject(long Size, string ChecksumSha256, string ContentType,
    IReadOnlyDictionary<string, string> Metadata, byte[]? Body);

/// <summary>
/// An in-memory, S3-compatible endpoint (Kestrel on 127.0.0.1, path-style) for the calls the server
/// makes: CreateBucket, HeadBucket, PutObject, the multipart calls (and ListMultipartUploads, for the
/// server's sweep of abandoned uploads), Get/HeadObject and DeleteObject.
/// Like S3, it hashes every body and refuses one whose <c>x-amz-checksum-sha256</c> (header or
/// aws-chunked trailer) or signed payload hash does not match (400 BadDigest /
/// XAmzContentSHA256Mismatch), so tests can prove what moto does not check. It counts every request
/// by operation. Benchmarks start it with <c>keepBodies: false</c>, keeping only sizes and checksums.
/// Signatures are not checked; anything it does not implement answers 501.
/// </summary>
public sealed class S3Sink : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly bool _keepBodies;
    readonly ConcurrentDictionary<string, ConcurrentDictionary<string, SinkObject>> _buckets = new();
    readonly ConcurrentDictionary<string, Upload> _uploads = new();
    readonly ConcurrentQueue<string> _operations = new();

    S3Sink(WebApplication app, bool keepBodies)
    {
        _app = app;
        _keepBodies = keepBodies;
    }

    /// <summary>http://127.0.0.1:PORT/</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>When set, the first byte of every body received is flipped before hashing: corruption on the wire.</summary>
    public bool CorruptBodies { get; set; }

    /// <summary>Every request so far, as its S3 operation name, in arrival order.</summary>
    public IReadOnlyList<string> Operations => [.. _operations];

    /// <summary>Multipart uploads begun and neither completed nor aborted.</summary>
    public int OpenMultipartUploads => _uploads.Count;

    public static async Task<S3Sink> StartAsync(bool keepBodies = true, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);
        var app = builder.Build();
        var sink = new S3Sink(app, keepBodies);
        app.Run(sink.AnswerAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        sink.Endpoint = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/");
        return sink;
    }

    public void CreateBucket(string bucket) => _buckets.TryAdd(bucket, new());

    public IReadOnlyList<string> Keys(string bucket) =>
        _buckets.TryGetValue(bucket, out var objects) ? [.. objects.Keys.Order(StringComparer.Ordinal)] : [];

    public SinkObject? Get(string bucket, string key) =>
        _buckets.TryGetValue(bucket, out var objects) && objects.TryGetValue(key, out var found) ? found : null;

    public void ClearOperations() => _operations.Clear();

    async Task AnswerAsync(HttpContext context)
    {
        var request = context.Request;
        var path = Uri.UnescapeDataString(request.Path.Value!.TrimStart('/'));
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? path : path[..slash];
        var key = slash < 0 || slash == path.Length - 1 ? null : path[(slash + 1)..]; // "bucket/" is the bucket
        var query = request.Query;
        var operation = (request.Method, key, query) switch
        {
            ("PUT", null, _) => "CreateBucket",
            ("HEAD", null, _) => "HeadBucket",
            ("GET", null, _) when query.ContainsKey("uploads") => "ListMultipartUploads",
            ("PUT", _, _) when request.Headers.ContainsKey("x-amz-copy-source") => "CopyObject",
            ("PUT", _, _) when query.ContainsKey("uploadId") => "UploadPart",
            ("PUT", _, _) => "PutObject",
            ("POST", _, _) when query.ContainsKey("uploads") => "CreateMultipartUpload",
            ("POST", _, _) when query.ContainsKey("uploadId") => "CompleteMultipartUpload",
            ("DELETE", not null, _) when query.ContainsKey("uploadId") => "AbortMultipartUpload",
            ("DELETE", not null, _) => "DeleteObject",
            ("GET", not null, _) => "GetObject",
            ("HEAD", not null, _) => "HeadObject",
            _ => $"{request.Method} {request.Path}{request.QueryString}",
        };
        _operations.Enqueue(operation);

        if (operation == "CreateBucket")
        {
            CreateBucket(bucket);
            return;
        }
        if (!_buckets.TryGetValue(bucket, out var objects))
        {
            await ErrorAsync(context, 404, "NoSuchBucket", $"The bucket {bucket} does not exist");
            return;
        }
        switch (operation)
        {
            case "HeadBucket":
                return;
            case "ListMultipartUploads":
                var prefix = query["prefix"].ToString();
                await XmlAsync(context, new XElement("ListMultipartUploadsResult",
                    new XElement("Bucket", bucket), new XElement("IsTruncated", "false"),
                    _uploads.Where(u => u.Value.Bucket == bucket && u.Value.Key.StartsWith(prefix, StringComparison.Ordinal))
                        .Select(u => new XElement("Upload", new XElement("Key", u.Value.Key), new XElement("UploadId", u.Key),
                            new XElement("Initiated", u.Value.Initiated.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture))))));
                return;
            case "PutObject":
                if (await ReadBodyAsync(context) is { } put)
                {
                    objects[key!] = new SinkObject(put.Size, put.ChecksumSha256, request.ContentType ?? "binary/octet-stream",
                        Metadata(request), put.Body);
                    context.Response.Headers.ETag = $"\"{put.ChecksumSha256}\"";
                    context.Response.Headers["x-amz-checksum-sha256"] = put.ChecksumSha256;
                }
                return;
            case "CreateMultipartUpload":
                var uploadId = Guid.NewGuid().ToString("N");
                _uploads[uploadId] = new Upload(bucket, key!, request.ContentType ?? "binary/octet-stream", Metadata(request), DateTime.UtcNow);
                await XmlAsync(context, new XElement("InitiateMultipartUploadResult",
                    new XElement("Bucket", bucket), new XElement("Key", key), new XElement("UploadId", uploadId)));
                return;
            case "UploadPart":
                if (!_uploads.TryGetValue(query["uploadId"]!, out var upload))
                {
                    await ErrorAsync(context, 404, "NoSuchUpload", "The specified upload does not exist");
                    return;
                }
                if (await ReadBodyAsync(context) is { } part)
                {
                    upload.Parts[int.Parse(query["partNumber"]!, CultureInfo.InvariantCulture)] = part;
                    context.Response.Headers.ETag = $"\"{part.ChecksumSha256}\"";
                    context.Response.Headers["x-amz-checksum-sha256"] = part.ChecksumSha256;
                }
                return;
            case "CompleteMultipartUpload":
                await CompleteAsync(context, objects, query["uploadId"]!);
                return;
            case "AbortMultipartUpload":
                _uploads.TryRemove(query["uploadId"]!, out _);
                context.Response.StatusCode = 204;
                return;
            case "DeleteObject":
                objects.TryRemove(key!, out _);
                context.Response.StatusCode = 204;
                return;
            case "GetObject" or "HeadObject":
                if (!objects.TryGetValue(key!, out var found))
                {
                    await ErrorAsync(context, 404, "NoSuchKey", "The specified key does not exist.");
                    return;
                }
                var headers = context.Response.Headers;
                headers.ContentType = found.ContentType;
                headers.ContentLength = found.Size;
                headers.ETag = $"\"{found.ChecksumSha256}\"";
                foreach (var (name, value) in found.Metadata)
                {
                    headers[$"x-amz-meta-{name}"] = value;
                }
                if (string.Equals(request.Headers["x-amz-checksum-mode"], "ENABLED", StringComparison.OrdinalIgnoreCase))
                {
                    headers["x-amz-checksum-sha256"] = found.ChecksumSha256;
                    headers["x-amz-checksum-type"] = found.ChecksumSha256.Contains('-', StringComparison.Ordinal) ? "COMPOSITE" : "FULL_OBJECT";
                }
                if (operation == "GetObject" && found.Body is { } bytes)
                {
                    await context.Response.Body.WriteAsync(bytes);
                }
                return;
            default:
                await ErrorAsync(context, 501, "NotImplemented", $"The S3 sink does not implement {operation}");
                return;
        }
    }

    sealed record Upload(string Bucket, string Key, string ContentType, IReadOnlyDictionary<string, string> Metadata, DateTime Initiated)
    {
        public ConcurrentDictionary<int, Received> Parts { get; } = new();
    }

    sealed record Received(long Size, string ChecksumSha256, byte[]? Body);

    async Task CompleteAsync(HttpContext context, ConcurrentDictionary<string, SinkObject> objects, string uploadId)
    {
        if (!_uploads.TryGetValue(uploadId, out var upload))
        {
            await ErrorAsync(context, 404, "NoSuchUpload", "The specified upload does not exist");
            return;
        }
        var listed = (await XDocument.LoadAsync(context.Request.Body, LoadOptions.None, context.RequestAborted)).Root!.Elements().Where(e => e.Name.LocalName == "Part")
            .Select(e => (Number: int.Parse(Child(e, "PartNumber")!, CultureInfo.InvariantCulture), Checksum: Child(e, "ChecksumSHA256")))
            .ToList();
        var parts = new List<Received>();
        foreach (var (number, checksum) in listed)
        {
            if (!upload.Parts.TryGetValue(number, out var part) || (checksum is not null && checksum != part.ChecksumSha256))
            {
                await ErrorAsync(context, 400, "InvalidPart", $"Part {number} was not uploaded or its checksum differs");
                return;
            }
            parts.Add(part);
        }
        // S3's composite checksum: the SHA-256 of the parts' SHA-256s, then "-" and the part count.
        var composite = Convert.ToBase64String(SHA256.HashData(parts.SelectMany(p => Convert.FromBase64String(p.ChecksumSha256)).ToArray()))
            + $"-{parts.Count}";
        byte[]? body = _keepBodies ? [.. parts.SelectMany(p => p.Body!)] : null;
        objects[upload.Key] = new SinkObject(parts.Sum(p => p.Size), composite, upload.ContentType, upload.Metadata, body);
        _uploads.TryRemove(uploadId, out _);
        await XmlAsync(context, new XElement("CompleteMultipartUploadResult",
            new XElement("Bucket", upload.Bucket), new XElement("Key", upload.Key), new XElement("ETag", $"\"{composite}\""),
            new XElement("ChecksumSHA256", composite), new XElement("ChecksumType", "COMPOSITE")));
    }

    static string? Child(XElement element, string name) => element.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    /// <summary>Reads, hashes and checks a body; null when it was refused (the answer is written).</summary>
    async Task<Received?> ReadBodyAsync(HttpContext context)
    {
        var request = context.Request;
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var kept = _keepBodies ? new MemoryStream() : null;
        long size = 0;
        var corrupt = CorruptBodies;
        void OnData(byte[] buffer, int offset, int count)
        {
            if (corrupt && size == 0 && count > 0)
            {
                buffer[offset] ^= 0xFF;
            }
            sha256.AppendData(buffer, offset, count);
            kept?.Write(buffer, offset, count);
            size += count;
        }
        var payloadHash = request.Headers["x-amz-content-sha256"].ToString();
        Dictionary<string, string> trailers = [];
        if (payloadHash.StartsWith("STREAMING-", StringComparison.Ordinal)
            || request.Headers.ContentEncoding.ToString().Contains("aws-chunked", StringComparison.Ordinal))
        {
            trailers = await new AwsChunkedReader(request.Body).ReadAsync(OnData, context.RequestAborted);
        }
        else
        {
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                int read;
                while ((read = await request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
                {
                    OnData(buffer, 0, read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        var hash = sha256.GetHashAndReset();
        var checksum = Convert.ToBase64String(hash);
        if (payloadHash.Length == 64 && !string.Equals(payloadHash, Convert.ToHexStringLower(hash), StringComparison.OrdinalIgnoreCase))
        {
            await ErrorAsync(context, 400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
            return null;
        }
        var claimed = request.Headers["x-amz-checksum-sha256"].ToString() is { Length: > 0 } header ? header
            : trailers.GetValueOrDefault("x-amz-checksum-sha256");
        if (claimed is not null && claimed != checksum)
        {
            await ErrorAsync(context, 400, "BadDigest", "The SHA256 you specified did not match the calculated checksum.");
            return null;
        }
        return new Received(size, checksum, kept?.ToArray());
    }

    static Dictionary<string, string> Metadata(HttpRequest request) => request.Headers
        .Where(h => h.Key.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase))
        .ToDictionary(h => h.Key["x-amz-meta-".Length..].ToLowerInvariant(), h => h.Value.ToString());

    static Task ErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return context.Request.Method == "HEAD" ? Task.CompletedTask
            : XmlAsync(context, new XElement("Error", new XElement("Code", code), new XElement("Message", message)));
    }

    static Task XmlAsync(HttpContext context, XElement root)
    {
        context.Response.ContentType = "application/xml";
        return context.Response.WriteAsync(new XDocument(new XDeclaration("1.0", "UTF-8", null), root).ToString());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
