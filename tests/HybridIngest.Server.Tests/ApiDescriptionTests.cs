using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using HybridIngest.Contracts;
using HybridIngest.Server.Tests.Infrastructure;
using HybridIngest.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace HybridIngest.Server.Tests;

/// <summary>
/// The server's own description of its contract (<c>/openapi/v1.json</c>) holds what the README's
/// error table promises, and an unexpected failure is answered on the same error path as the rest.
/// </summary>
public sealed partial class ApiDescriptionTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    [Fact]
    public async Task OpenApiDocumentListsEveryErrorCodeAndStatusOfTheReadmeTable()
    {
        var table = ReadmeErrorTable();
        Assert.True(table.Count >= 10, $"the README's error table was not found ({table.Count} rows)");
        await using var server = moto.StartServer();

        using var document = JsonDocument.Parse(await server.Client.GetStringAsync("/openapi/v1.json"));

        var root = document.RootElement;
        var codes = root.GetProperty("components").GetProperty("schemas").GetProperty("ErrorResponse")
            .GetProperty("properties").GetProperty("code").GetProperty("enum").EnumerateArray().Select(c => c.GetString()).ToList();
        var answers = root.GetProperty("paths").GetProperty("/process-image").GetProperty("post").GetProperty("responses");
        foreach (var (code, statuses) in table)
        {
            Assert.Contains(code, codes);
            foreach (var status in statuses)
            {
                Assert.True(answers.TryGetProperty(status, out var answer), $"/process-image does not declare {status} ({code})");
                Assert.True(answer.GetProperty("content").TryGetProperty(Problems.ContentType, out _), $"{status} is not {Problems.ContentType}");
            }
        }
        Assert.True(answers.TryGetProperty("200", out _));
        Assert.Equal(["/", "/health", "/process-image", "/ready", "/test-process"],
            root.GetProperty("paths").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task UnexpectedFailureIsAnInternalErrorProblemWithoutDetail()
    {
        await using var server = moto.StartServer(services: services => services.AddSingleton<IStartupFilter>(new Throwing()));

        using var answer = await server.Client.GetAsync("/throws");

        Assert.Equal(HttpStatusCode.InternalServerError, answer.StatusCode);
        Assert.Equal(Problems.ContentType, answer.Content.Headers.ContentType?.MediaType);
        var body = await answer.Content.ReadAsStringAsync();
        var problem = JsonSerializer.Deserialize(body, HybridIngestJsonContext.Default.ErrorResponse)!;
        Assert.Equal((ErrorCodes.InternalError, 500), (problem.Code, problem.Status));
        Assert.Equal(answer.Headers.GetValues(ServerHeaders.RequestId).Single(), problem.RequestId);
        Assert.DoesNotContain("secret-cause", body, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", body, StringComparison.Ordinal);
    }

    /// <summary>After the server's own pipeline: a request no endpoint took that throws.</summary>
    sealed class Throwing : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Run(context => context.Request.Path == "/throws"
                ? throw new InvalidOperationException("secret-cause")
                : Task.CompletedTask);
        };
    }

    /// <summary>The README's server error table: each code with the statuses its Status cell names.</summary>
    static Dictionary<string, List<string>> ReadmeErrorTable()
    {
        var readme = File.ReadAllLines(Path.Combine(RepositoryLayout.Root, "README.md"));
        var header = Array.IndexOf(readme, "| Code | Status | When |");
        return readme.Skip(header + 2).TakeWhile(line => line.StartsWith('|'))
            .Select(line => line.Split('|', StringSplitOptions.TrimEntries))
            .ToDictionary(cells => cells[1].Trim('`'), cells => Status().Matches(cells[2]).Select(m => m.Value).ToList());
    }

    [GeneratedRegex(@"\b[45]\d\d\b")]
    private static partial Regex Status();
}
