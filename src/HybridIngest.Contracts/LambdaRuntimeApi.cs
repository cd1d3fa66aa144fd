namespace HybridIngest.Contracts;

/// <summary>
/// Paths of the Lambda Runtime API (version 2018-06-01), relative to
/// <c>http://${AWS_LAMBDA_RUNTIME_API}/</c>. The function is its client, the local Lambda host its server.
/// </summary>
public static class RuntimeApiPaths
{
    public const string Version = "2018-06-01";
    public const string Next = Version + "/runtime/invocation/next";
    public const string InitError = Version + "/runtime/init/error";

    public static string Response(string requestId) => $"{Version}/runtime/invocation/{Uri.EscapeDataString(requestId)}/response";

    public static string Error(string requestId) => $"{Version}/runtime/invocation/{Uri.EscapeDataString(requestId)}/error";
}

/// <summary>Header names and content types of the Lambda Runtime API.</summary>
public static class RuntimeApiHeaders
{
    public const string AwsRequestId = "Lambda-Runtime-Aws-Request-Id";
    public const string DeadlineMs = "Lambda-Runtime-Deadline-Ms";
    public const string InvokedFunctionArn = "Lambda-Runtime-Invoked-Function-Arn";
    public const string TraceId = "Lambda-Runtime-Trace-Id";
    public const string FunctionErrorType = "Lambda-Runtime-Function-Error-Type";
    public const string ErrorContentType = "application/vnd.aws.lambda.error+json";
}

/// <summary>Header names of the Lambda Invoke API (<c>POST /2015-03-31/functions/{name}/invocations</c>).</summary>
public static class InvokeApiHeaders
{
    public const string FunctionError = "X-Amz-Function-Error";
    public const string ExecutedVersion = "X-Amz-Executed-Version";
    public const string LogType = "X-Amz-Log-Type";
    public const string LogResult = "X-Amz-Log-Result";
    public const string InvocationType = "X-Amz-Invocation-Type";
    public const string RequestId = "x-amzn-RequestId";
    public const string ErrorType = "x-amzn-ErrorType";
}

/// <summary>Lambda's limits that the function and the local host both enforce.</summary>
public static class LambdaLimits
{
    /// <summary>An invocation's event and its response: 6 MB each (synchronous invocations).</summary>
    public const int MaxPayloadBytes = 6 * 1024 * 1024;
}

/// <summary>Environment variables Lambda gives a custom runtime.</summary>
public static class LambdaEnvironmentVariables
{
    public const string RuntimeApi = "AWS_LAMBDA_RUNTIME_API";
    public const string FunctionName = "AWS_LAMBDA_FUNCTION_NAME";
    public const string FunctionMemorySize = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE";
    public const string FunctionVersion = "AWS_LAMBDA_FUNCTION_VERSION";
    public const string Region = "AWS_REGION";
    public const string Handler = "_HANDLER";
    public const string TaskRoot = "LAMBDA_TASK_ROOT";
    public const string TraceId = "_X_AMZN_TRACE_ID";
}
