namespace HybridIngest.Server;

static partial class Log
{
    /// <summary>The one line each <c>POST /process-image</c> writes, whatever its outcome.</summary>
    [LoggerMessage(EventId = 1, Message = "process-image {RequestId} {Outcome} {Status} from {OriginHost}: " +
        "{Bytes} bytes, download {DownloadMs} ms, upload {UploadMs} ms, total {TotalMs} ms, key {Key}; {Detail}")]
    public static partial void Processed(ILogger logger, LogLevel level, string requestId, string outcome, int status,
        string? originHost, long bytes, long downloadMs, long uploadMs, long totalMs, string? key, string? detail);

    /// <summary>The one line each <c>POST /test-process</c> writes, whatever its outcome.</summary>
    [LoggerMessage(EventId = 4, Message = "test-process {RequestId} {Outcome} {Status}: {Bytes} bytes, upload {UploadMs} ms, key {Key}; {Detail}")]
    public static partial void TestProcessed(ILogger logger, LogLevel level, string requestId, string outcome, int status,
        long bytes, long uploadMs, string key, string? detail);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
        Message = "process-image refused: {MaxConcurrentRequests} requests already in progress")]
    public static partial void Overloaded(ILogger logger, int maxConcurrentRequests);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error,
        Message = "{Operation} of s3://{Bucket}/{Key} after a failed request did not succeed: {Error}")]
    public static partial void CleanUpFailed(ILogger logger, string operation, string bucket, string key, string error);
}
