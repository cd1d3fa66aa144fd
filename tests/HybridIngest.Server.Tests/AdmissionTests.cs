using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Server.Tests.Infrastructure;

namespace HybridIngest.Server.Tests;

/// <summary>
/// Admission: the body is read before a request takes a slot, so clients sending slowly hold none;
/// a request finding every slot busy waits in a short queue instead of being refused at once.
/// </summary>
public sealed class AdmissionTests(MotoFixture moto, ITestOutputHelper output) : IClassFixture<MotoFixture>
{
    static Task<HttpResponseMessage> PostAsync(IngestServer server, string url) =>
        server.Client.PostAsJsonAsync("/process-image", new ProcessImageRequest(url), HybridIngestJsonContext.Default.ProcessImageRequest);

    [Fact]
    public async Task SlowBodyClientsDoNotLockOutAWellBehavedClient()
    {
        const int slowClients = 200;
        const int requests = 30;
        var url = moto.Origin.Serve("admission/good.png", SampleImages.Png).ToString();
        await using var server = moto.StartServer();

        var unattacked = await SucceededAsync(server, url, requests);

        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var sending = new CountdownEvent(slowClients);
        var attackers = Enumerable.Range(0, slowClients)
            .Select(_ => Task.Run(() => SlowClientAsync(server.Client.BaseAddress!, url, sending, stop.Token)))
            .ToArray();
        int attacked;
        try
        {
            Assert.True(sending.Wait(TimeSpan.FromSeconds(60)), "the slow clients did not all connect");
            attacked = await SucceededAsync(server, url, requests);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(attackers);
        }

        output.WriteLine($"well-behaved client, {requests} sequential requests: {unattacked} ok unattacked, " +
            $"{attacked} ok beside {slowClients} clients sending their body at 1 byte/s");
        Assert.Equal(requests, unattacked);
        Assert.True(attacked * 2 >= unattacked, $"{attacked} of {requests} succeeded under attack, {unattacked} without");
    }

    [Fact]
    public async Task RequestFindingEverySlotBusyWaitsInTheQueueAndIsServed()
    {
        var held = new HeldImage(moto.Origin, "admission/held.png", hold: true);
        var url = moto.Origin.Serve("admission/queued.png", SampleImages.Png).ToString();
        await using var server = moto.StartServer(new Dictionary<string, string>
        {
            ["INGEST_MAX_CONCURRENT_REQUESTS"] = "1",
            ["INGEST_MAX_QUEUED_REQUESTS"] = "1",
            ["INGEST_QUEUE_TIMEOUT_SECONDS"] = "60",
        });
        var first = PostAsync(server, held.Url.ToString());
        Task<HttpResponseMessage> second;
        try
        {
            await held.Arrived.WaitAsync(TimeSpan.FromSeconds(30));
            second = PostAsync(server, url);
            var admission = await WaitForAdmissionAsync(server, a => a.Queued == 1);
            Assert.Equal(new AdmissionStatus(1, 1, 1, 1, 0, false), admission);

            using var third = await PostAsync(server, url); // the queue is full: refused at once
            Assert.Equal(HttpStatusCode.ServiceUnavailable, third.StatusCode);
            Assert.Equal(ErrorCodes.Overloaded, (await third.Content.ReadFromJsonAsync(HybridIngestJsonContext.Default.ErrorResponse))?.Code);
            Assert.Equal(TimeSpan.FromSeconds(1), third.Headers.RetryAfter?.Delta);
        }
        finally
        {
            held.Release();
        }
        using var firstAnswer = await first;
        using var secondAnswer = await second;
        Assert.Equal(HttpStatusCode.OK, firstAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, secondAnswer.StatusCode);
        Assert.Equal(1, (await WaitForAdmissionAsync(server, a => a.InProgress == 0)).Refused);
    }

    [Fact]
    public async Task BodyThatDoesNotArriveInTimeIs408WithoutTakingASlot()
    {
        var url = moto.Origin.Serve("admission/late.png", SampleImages.Png).ToString();
        await using var server = moto.StartServer(new Dictionary<string, string>
        {
            ["INGEST_MAX_CONCURRENT_REQUESTS"] = "1",
            ["INGEST_REQUEST_BODY_TIMEOUT_SECONDS"] = "0.5",
        });
        var address = server.Client.BaseAddress!;
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(address.Host, address.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            $"POST /process-image HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"image_url\""));

        var answer = await ReadAnswerAsync(socket);

        Assert.StartsWith("HTTP/1.1 408 ", answer);
        Assert.Contains("\"code\":\"invalid_request\"", answer);
        Assert.Contains("did not arrive within 0.5 s", answer);
        using var ok = await PostAsync(server, url); // the one slot was never taken
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    static async Task<int> SucceededAsync(IngestServer server, string url, int requests)
    {
        var succeeded = 0;
        for (var i = 0; i < requests; i++)
        {
            using var answer = await PostAsync(server, url);
            succeeded += answer.StatusCode == HttpStatusCode.OK ? 1 : 0;
        }
        return succeeded;
    }

    /// <summary>Sends a request's headers, then its body at 1 byte per second; starts again whenever the server closes.</summary>
    static async Task SlowClientAsync(Uri server, string url, CountdownEvent sending, CancellationToken stop)
    {
        var body = Encoding.ASCII.GetBytes($"{{\"image_url\": \"{url}\"}}");
        var headers = Encoding.ASCII.GetBytes(
            $"POST /process-image HTTP/1.1\r\nHost: {server.Authority}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");
        var counted = false;
        while (!stop.IsCancellationRequested)
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(server.Host, server.Port, stop);
                await socket.SendAsync(headers, stop);
                if (!counted)
                {
                    counted = true;
                    sending.Signal();
                }
                foreach (var b in body)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stop); // the attack's pace, not a wait for anything
                    await socket.SendAsync(new[] { b }, stop);
                }
                await ReadAnswerAsync(socket, stop);
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                // The server cut it: start again.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>What the server sends until it closes the connection.</summary>
    static async Task<string> ReadAnswerAsync(Socket socket, CancellationToken cancellationToken = default)
    {
        var answer = new StringBuilder();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, cancellationToken)) > 0)
            {
                answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset && answer.Length > 0)
        {
            // Kestrel answered, waited for the rest of the body a while, then reset the connection.
        }
        return answer.ToString();
    }

    /// <summary>A bounded poll of /ready until its admission state matches.</summary>
    static async Task<AdmissionStatus> WaitForAdmissionAsync(IngestServer server, Func<AdmissionStatus, bool> match)
    {
        for (var attempt = 0; ; attempt++)
        {
            var ready = await server.Client.GetFromJsonAsync("/ready", HybridIngestJsonContext.Default.HealthResponse);
            if (ready?.Admission is { } admission && match(admission))
            {
                return admission;
            }
            Assert.True(attempt < 300, $"admission never matched; last: {ready?.Admission}");
            await Task.Delay(20);
        }
    }
}
