using System.Net.Http.Headers;
using System.Text;

namespace HybridIngest.LocalLambda.Tests;

/// <summary>Calls the host's Invoke API as an SDK would (unsigned unless given an Authorization header: the host does not check signatures).</summary>
static class Invoker
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromMinutes(2) };

    public sealed record Answer(int Status, string Body, HttpResponseHeaders Headers)
    {
        public string? Header(string name) => Headers.TryGetValues(name, out var values) ? values.Single() : null;

        public string LogTail => Encoding.UTF8.GetString(Convert.FromBase64String(Header("X-Amz-Log-Result")!));
    }

    public static async Task<Answer> InvokeAsync(
        LocalLambdaHost host, string payload, bool tail = false, string? functionName = null, string? authorization = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post,
            new Uri(host.Endpoint, $"2015-03-31/functions/{Uri.EscapeDataString(functionName ?? host.Options.FunctionName)}/invocations"))
        {
            Content = new StringContent(payload, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
            request.Headers.Add("X-Amz-Date", "20261202T040000Z");
        }
        if (tail)
        {
            request.Headers.Add("X-Amz-Log-Type", "Tail");
        }
        using var response = await Http.SendAsync(request);
        return new Answer((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers);
    }
}
