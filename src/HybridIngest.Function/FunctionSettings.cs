using System.Diagnostics.CodeAnalysis;

namespace HybridIngest.Function;

/// <summary>The function's configuration, from its environment variables.</summary>
sealed record FunctionSettings(Uri ProcessImageUri)
{
    public const string ServerUrlVariable = "SERVER_URL";

    /// <summary>The seed lab's name for the same setting.</summary>
    public const string LabServerUrlVariable = "EC2_FLASK_URL";

    public static bool TryLoad(
        Func<string, string?> getVariable,
        [NotNullWhen(true)] out FunctionSettings? settings,
        [NotNullWhen(false)] out string? problem)
    {
        settings = null;
        var value = getVariable(ServerUrlVariable) is { Length: > 0 } serverUrl ? serverUrl : getVariable(LabServerUrlVariable);
        if (string.IsNullOrWhiteSpace(value))
        {
            problem = $"{ServerUrlVariable} is not set: set it to the server's base URL, e.g. http://10.0.1.10:8080 ({LabServerUrlVariable} is accepted too).";
            return false;
        }
        if (!Uri.TryCreate(value, UriKind.Absolute, out var baseUri)
            || (baseUri.Scheme != Uri.UriSchemeHttp && baseUri.Scheme != Uri.UriSchemeHttps)
            || !string.IsNullOrEmpty(baseUri.Query) || !string.IsNullOrEmpty(baseUri.Fragment))
        {
            problem = $"{ServerUrlVariable} '{value}' is not an absolute http(s) URL without query, e.g. http://10.0.1.10:8080.";
            return false;
        }
        settings = new FunctionSettings(new Uri(value.TrimEnd('/') + "/process-image"));
        problem = null;
        return true;
    }
}
