using System.Net.Http.Json;
using HybridIngest.Contracts;
using HybridIngest.Server.Tests.Infrastructure;

namespace HybridIngest.Server.Tests.Security;

/// <summary>What every hostile-input case checks: the exact code, a clean problem answer, nothing in S3.</summary>
static class Refusal
{
    /// <summary>No private range allowed: the server's default.</summary>
    public static readonly IReadOnlyDictionary<string, string> NoAllowlist =
        new Dictionary<string, string> { [ServerSettingNames.AllowedPrivateCidrs] = "" };

    public static Task<HttpResponseMessage> PostUrlAsync(IngestServer server, string url) =>
        server.Client.PostAsJsonAsync("/process-image", new ProcessImageRequest(url),
            HybridIngestJsonContext.Default.ProcessImageRequest);

    /// <param name="what">The case, for the failure message.</param>
    public static async Task<ErrorResponse> AssertAsync(MotoFixture moto, HttpResponseMessage answer, string code, string what = "")
    {
        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.Content.Headers.ContentType?.MediaType == "application/problem+json",
            $"{what}: expected a problem answer with code {code}, got {(int)answer.StatusCode}: {text}");
        var problem = System.Text.Json.JsonSerializer.Deserialize(text, HybridIngestJsonContext.Default.ErrorResponse);
        Assert.NotNull(problem);
        Assert.True(problem.Code == code, $"{what}: expected code {code}, got {problem.Code}: {problem.Detail}");
        Assert.Equal((int)answer.StatusCode, problem.Status);
        Assert.False(problem.Success);
        Assert.DoesNotContain("   at ", text); // no stack trace reaches the caller

        Assert.Empty(await moto.KeysAsync());
        Assert.Equal(0, await moto.OpenMultipartUploadsAsync());
        return problem;
    }
}
