using System.Diagnostics.CodeAnalysis;

using HybridIngest.Contracts;

namespace HybridIngest.Function;

/// <summary>The function's configuration, from its environment variables.</summary>
/// <param name="Otlp">Where the function's spans go; null when tracing is off (no OTLP endpoint set).</param>
sealed record FunctionSettings(Uri ProcessImageUri, OtlpSettings? Otlp)
{
    public static bool TryLoad(
        Func<string, string?> getVariable,
        [NotNullWhen(true)] out FunctionSettings? settings,
        [NotNullWhen(false)] out string? problem)
    {
        settings = null;
        var value = getVariable(FunctionEnvironmentVariables.ServerUrl) is { Length: > 0 } serverUrl ? serverUrl : getVariable(FunctionEnvironmentVariables.LabServerUrl);
        if (string.IsNullOrWhiteSpace(value))
        {
            problem = $"{FunctionEnvironmentVariables.ServerUrl} is not set: set it to the server's base URL, e.g. http://10.0.1.10:8080 ({FunctionEnvironmentVariables.LabServerUrl} is accepted too).";
            return false;
        }
        if (!Uri.TryCreate(value, UriKind.Absolute, out var baseUri)
            || (baseUri.Scheme != Uri.UriSchemeHttp && baseUri.Scheme != Uri.UriSchemeHttps)
            || !string.IsNullOrEmpty(baseUri.Query) || !string.IsNullOrEmpty(baseUri.Fragment))
        {
            problem = $"{FunctionEnvironmentVariables.ServerUrl} '{value}' is not an absolute http(s) URL without query, e.g. http://10.0.1.10:8080.";
            return false;
        }
        if (!OtlpSettings.TryLoad(getVariable, out var otlp, out problem))
        {
            return false;
        }
        settings = new FunctionSettings(new Uri(value.TrimEnd('/') + "/process-image"), otlp);
        return true;
    }
}
