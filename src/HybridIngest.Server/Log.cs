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

    /// <summary>The first refused request (503 overloaded) after a quiet interval; the ones after it are counted.</summary>
    [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
        Message = "request refused (overloaded): {Reason}; {InProgress} in progress, {Queued} waiting; further refusals are counted")]
    public static partial void Refused(ILogger logger, string reason, int inProgress, int queued);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "{Count} more requests refused (overloaded) in the last {Seconds} s")]
    public static partial void RefusedAgain(ILogger logger, long count, double seconds);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning,
        Message = "draining: /ready is 503 and new requests are refused for {Seconds} s while those in progress finish")]
    public static partial void Draining(ILogger logger, double seconds);

    /// <summary>The first failed clean-up after a quiet interval; the ones after it are counted.</summary>
    [LoggerMessage(EventId = 3, Level = LogLevel.Error,
        Message = "{Operation} of s3://{Bucket}/{Key} after a failed request did not succeed: {Error}")]
    public static partial void CleanUpFailed(ILogger logger, string operation, string bucket, string key, string error);

    [LoggerMessage(EventId = 6, Level = LogLevel.Error, Message = "{Count} more clean-ups after failed requests did not succeed in the last {Seconds} s")]
    public static partial void CleanUpFailedAgain(ILogger logger, long count, double seconds);
}
