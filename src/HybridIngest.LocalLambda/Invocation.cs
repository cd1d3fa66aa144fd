using System.Text;
using System.Text.Json;
using HybridIngest.Contracts;

namespace HybridIngest.LocalLambda;

/// <summary>How an invocation ended, as the Invoke API reports it.</summary>
/// <param name="Payload">The function's response, or the error object Lambda returns.</param>
/// <param name="FunctionError">"Unhandled" for a function error (X-Amz-Function-Error), else null.</param>
/// <param name="EnvironmentUsable">False when the environment must be shut down (timeout, exit, init failure).</param>
/// <param name="Status">The REPORT line's Status field for a failed environment (timeout, error), else null.</param>
sealed record InvocationResult(byte[] Payload, string? FunctionError, bool EnvironmentUsable, string? Status = null)
{
    public const string Unhandled = "Unhandled";

    public static InvocationResult Response(byte[] payload) => new(payload, null, true);

    public static InvocationResult Error(byte[] errorBody) => new(errorBody, Unhandled, true);

    /// <summary>Lambda's answer when the service itself ends the invocation (not the function's own error).</summary>
    public static InvocationResult ServiceError(string errorType, string errorMessage, string status) =>
        new(ErrorBody(errorType, errorMessage), Unhandled, false, status);

    static byte[] ErrorBody(string errorType, string errorMessage) =>
        JsonSerializer.SerializeToUtf8Bytes(new LambdaError(errorMessage, errorType), HybridIngestJsonContext.Default.LambdaError);
}

/// <summary>One invocation on its way through an execution environment.</summary>
sealed class Invocation(string requestId, byte[] payload)
{
    /// <summary>Lambda's X-Amz-Log-Result holds the last 4 KB of the invocation's log.</summary>
    const int LogTailBytes = 4096;

    readonly StringBuilder _log = new();

    public string RequestId { get; } = requestId;

    public byte[] Payload { get; } = payload;

    public DateTimeOffset Deadline { get; set; }

    public TaskCompletionSource<InvocationResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void AppendLog(string line)
    {
        lock (_log)
        {
            _log.Append(line).Append('\n');
        }
    }

    public string LogTail()
    {
        string log;
        lock (_log)
        {
            log = _log.ToString();
        }
        var bytes = Encoding.UTF8.GetBytes(log);
        return bytes.Length <= LogTailBytes ? log : Encoding.UTF8.GetString(bytes, bytes.Length - LogTailBytes, LogTailBytes);
    }
}
