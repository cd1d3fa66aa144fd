namespace HybridIngest.Function.Tests;

/// <summary>The X-Ray header Lambda hands each invocation, as a W3C trace, and the OTLP settings.</summary>
public sealed class FunctionTraceTests
{
    [Fact]
    public void ContinuesLambdasTraceWithItsRootAsTheTraceIdAndItsParentAsTheParent()
    {
        var trace = FunctionTrace.From("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");

        Assert.Equal("5759e988bd862e3fe1be46a994272793", trace.TraceId.ToHexString());
        Assert.Equal("53995c3f42cd8ad8", trace.ParentSpanId?.ToHexString());
        Assert.Matches("^00-5759e988bd862e3fe1be46a994272793-[0-9a-f]{16}-01$", trace.TraceParent);
        Assert.Equal(trace.SpanId.ToHexString(), trace.TraceParent[36..52]);
    }

    [Fact]
    public void ContinuesARootWithoutParentAsTheLocalHostSendsIt()
    {
        var trace = FunctionTrace.From("Root=1-6751a0b2-0123456789abcdef01234567;Sampled=0");

        Assert.Equal("6751a0b20123456789abcdef01234567", trace.TraceId.ToHexString());
        Assert.Null(trace.ParentSpanId);
        Assert.EndsWith("-01", trace.TraceParent, StringComparison.Ordinal); // X-Ray's Sampled=0 is X-Ray's decision
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Root=2-5759e988-bd862e3fe1be46a994272793")]
    [InlineData("Root=1-5759e988-bd862e3fe1be46a99427279z;Parent=53995c3f42cd8ad8")]
    [InlineData("Root=1-00000000-000000000000000000000000")]
    public void StartsANewTraceWithoutAUsableHeader(string? header)
    {
        var first = FunctionTrace.From(header);
        var second = FunctionTrace.From(header);

        Assert.NotEqual(first.TraceId, second.TraceId);
        Assert.NotEqual("00000000000000000000000000000000", first.TraceId.ToHexString());
        Assert.Null(first.ParentSpanId); // a parent without its trace would dangle
    }

    static (OtlpSettings? Settings, bool Loaded, string? Problem) Load(params (string Name, string Value)[] variables)
    {
        var map = new Dictionary<string, string>();
        foreach (var (name, value) in variables)
        {
            map[name] = value; // a later value replaces an earlier one
        }
        var loaded = OtlpSettings.TryLoad(name => map.GetValueOrDefault(name), out var settings, out var problem);
        return (settings, loaded, problem);
    }

    [Fact]
    public void ExportsNothingWithoutAnEndpointOrWhenTheSdkIsDisabled()
    {
        Assert.Equal((null, true, null), Load());
        Assert.Equal((null, true, null), Load(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"), ("OTEL_SDK_DISABLED", "true")));
    }

    [Fact]
    public void ExportsToTheTracesPathOfTheEndpointOrToTheTracesEndpointAsGiven()
    {
        var (settings, _, _) = Load(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"), ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=a%3Db, x-team = ingest"));
        Assert.Equal(new Uri("http://collector:4318/v1/traces"), settings!.TracesEndpoint);
        Assert.Equal([("api-key", "a=b"), ("x-team", "ingest")], settings.Headers);
        Assert.Equal(OtlpSettings.DefaultServiceName, settings.ServiceName);

        (settings, _, _) = Load(("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://otlp.example/traces"), ("OTEL_SERVICE_NAME", "ingest-fn"));
        Assert.Equal(new Uri("https://otlp.example/traces"), settings!.TracesEndpoint);
        Assert.Equal("ingest-fn", settings.ServiceName);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318", "not an absolute http(s) URL")]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "exports only http/protobuf")]
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS", "api-key", "not name=value")]
    public void RejectsABadSettingNamingIt(string name, string value, string expected)
    {
        var (settings, loaded, problem) = Load(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"), (name, value));

        Assert.False(loaded);
        Assert.Null(settings);
        Assert.Contains(name, problem, StringComparison.Ordinal);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }
}
