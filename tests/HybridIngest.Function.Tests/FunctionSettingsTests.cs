namespace HybridIngest.Function.Tests;

public sealed class FunctionSettingsTests
{
    static (FunctionSettings? Settings, string? Problem) Load(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        FunctionSettings.TryLoad(name => map.GetValueOrDefault(name), out var settings, out var problem);
        return (settings, problem);
    }

    [Theory]
    [InlineData("http://10.0.1.10:8080", "http://10.0.1.10:8080/process-image")]
    [InlineData("http://10.0.1.10:8080/", "http://10.0.1.10:8080/process-image")]
    [InlineData("https://server.internal/ingest", "https://server.internal/ingest/process-image")]
    public void PostsToProcessImageUnderServerUrl(string serverUrl, string expected)
    {
        Assert.Equal(new Uri(expected), Load(("SERVER_URL", serverUrl)).Settings!.ProcessImageUri);
    }

    [Fact]
    public void AcceptsTheLabsEc2FlaskUrl()
    {
        Assert.Equal(new Uri("http://10.0.1.10:5000/process-image"), Load(("EC2_FLASK_URL", "http://10.0.1.10:5000")).Settings!.ProcessImageUri);
    }

    [Fact]
    public void RejectsAMissingServerUrlNamingTheVariable()
    {
        var (settings, problem) = Load();

        Assert.Null(settings);
        Assert.Contains("SERVER_URL is not set", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.1.10:8080")]
    [InlineData("/process-image")]
    [InlineData("ftp://10.0.1.10")]
    [InlineData("http://10.0.1.10:8080/?x=1")]
    public void RejectsAServerUrlThatIsNotAnAbsoluteHttpUrl(string serverUrl)
    {
        var (settings, problem) = Load(("SERVER_URL", serverUrl));

        Assert.Null(settings);
        Assert.Contains("not an absolute http(s) URL", problem, StringComparison.Ordinal);
    }
}
