using System.Text.Json;
using System.Text.Json.Serialization;

namespace HybridIngest.Contracts;

/// <summary>
/// The function's event in either of the lab's shapes: <c>{"image_url": "…"}</c> or
/// <c>{"body": "{\"image_url\": \"…\"}"}</c> (API Gateway style, body as a JSON string).
/// </summary>
public sealed record FunctionEvent(
    [property: JsonPropertyName("image_url")] string? ImageUrl = null,
    [property: JsonPropertyName("body")] string? Body = null);

/// <summary>The function's answer: the lab's <c>{"statusCode", "body"}</c> with body a JSON string.</summary>
public sealed record FunctionResponse(
    [property: JsonPropertyName("statusCode")] int StatusCode,
    [property: JsonPropertyName("body")] string Body);

/// <summary>
/// What <see cref="FunctionResponse.Body"/> holds. Success: message, lambda_ec2_call_time_ms and the
/// server's JSON in result. Failure: error, code and lambda_ec2_call_time_ms (result holds the
/// server's problem JSON when the server answered).
/// </summary>
public sealed record FunctionResponseBody
{
    [JsonPropertyName("message")] public string? Message { get; init; }
    [JsonPropertyName("error")] public string? Error { get; init; }
    [JsonPropertyName("code")] public string? Code { get; init; }
    [JsonPropertyName("lambda_ec2_call_time_ms")] public double LambdaEc2CallTimeMs { get; init; }
    [JsonPropertyName("request_id")] public string? RequestId { get; init; }
    [JsonPropertyName("result")] public JsonElement? Result { get; init; }
}

/// <summary>Body of the Runtime API's error calls (<c>application/vnd.aws.lambda.error+json</c>).</summary>
public sealed record LambdaError(
    [property: JsonPropertyName("errorMessage")] string ErrorMessage,
    [property: JsonPropertyName("errorType")] string ErrorType,
    [property: JsonPropertyName("stackTrace")] IReadOnlyList<string>? StackTrace = null);

/// <summary>
/// Error body of the Lambda service's own API (the Invoke API), e.g. 429 with "Rate Exceeded.";
/// the error's name (TooManyRequestsException) travels in the <c>x-amzn-ErrorType</c> header.
/// </summary>
public sealed record LambdaServiceError(
    [property: JsonPropertyName("Type")] string Type,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("Reason")] string? Reason = null);

/// <summary>The function's own environment variables, which Terraform and the local mode set.</summary>
public static class FunctionEnvironmentVariables
{
    /// <summary>The server's base URL, e.g. http://10.0.1.10:8080.</summary>
    public const string ServerUrl = "SERVER_URL";

    /// <summary>The seed lab's name for <see cref="ServerUrl"/>, accepted too.</summary>
    public const string LabServerUrl = "EC2_FLASK_URL";
}
