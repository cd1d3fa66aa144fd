using System.Text;
using System.Text.Json;
using HybridIngest.Contracts;

namespace HybridIngest.Cli;

/// <summary>
/// An Invoke API answer read as the function's contract: its statusCode, its body, the server's
/// result when an image was stored, or a short machine-readable <see cref="Error"/> and a message.
/// </summary>
public sealed record FunctionAnswer(
    int? FunctionStatus,
    FunctionResponseBody? Body,
    ProcessImageResponse? Stored,
    string? Error,
    string? ErrorMessage)
{
    public bool Succeeded => Error is null;

    public static FunctionAnswer Read(InvokeOutcome outcome)
    {
        var text = Encoding.UTF8.GetString(outcome.Payload);
        if (outcome.StatusCode is < 200 or > 299)
        {
            return Failure($"invoke_{outcome.StatusCode}", text);
        }
        if (outcome.FunctionError is { } functionError)
        {
            var message = TryParse(text, HybridIngestJsonContext.Default.LambdaError)?.ErrorMessage ?? text;
            return Failure($"function_error_{functionError.ToLowerInvariant()}", message);
        }

        var response = TryParse(text, HybridIngestJsonContext.Default.FunctionResponse);
        var body = response is null ? null : TryParse(response.Body, HybridIngestJsonContext.Default.FunctionResponseBody);
        if (response is null || body is null)
        {
            return Failure("bad_function_response", $"Not the function's {{statusCode, body}} answer: {Shorten(text)}");
        }
        if (response.StatusCode != 200)
        {
            return new FunctionAnswer(response.StatusCode, body, null, body.Code ?? $"status_{response.StatusCode}", body.Error ?? response.Body);
        }

        var stored = body.Result is { ValueKind: JsonValueKind.Object } result
            ? TryDeserialize(result, HybridIngestJsonContext.Default.ProcessImageResponse)
            : null;
        return stored is null
            ? new FunctionAnswer(200, body, null, "bad_function_response", $"No server result in the function's answer: {Shorten(response.Body)}")
            : new FunctionAnswer(200, body, stored, null, null);
    }

    static FunctionAnswer Failure(string error, string message) => new(null, null, null, error, Shorten(message));

    static T? TryParse<T>(string json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(json, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static T? TryDeserialize<T>(JsonElement element, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return element.Deserialize(type);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static string Shorten(string text) => text.Length <= 500 ? text : text[..500] + "…";
}
