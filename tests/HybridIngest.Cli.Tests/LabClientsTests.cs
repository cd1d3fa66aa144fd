using System.Text.Json;
using System.Text.RegularExpressions;
using Amazon.S3;
using HybridIngest.Cli.Local;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Testing;

namespace HybridIngest.Cli.Tests;

/// <summary>
/// The seed lab's habits against a local stack: the function pointed at a server of one's own
/// (<c>local up --server-url</c>), the user's AWS tools pointed at the stack (<c>local env</c>), and
/// a boto3 client that handles the event and the answer exactly as the lab's benchmark.py does.
/// One stack for all of it: bringing one up takes minutes.
/// </summary>
[Collection(DemoCollection.Name)]
public sealed partial class LabClientsTests(PackagedArtifacts artifacts) : IDisposable
{
    const string SecondBucket = "second-server-images";

    /// <summary>
    /// The lab's benchmark.py handling, written for this test: the event {"image_url"}, a client for
    /// ap-south-1 whatever the stack's region, the body string parsed, lambda_ec2_call_time_ms read
    /// from it. The endpoint is passed from AWS_ENDPOINT_URL_LAMBDA because boto3 before 1.28 (Debian
    /// 12's python3-boto3) does not read that variable itself.
    /// </summary>
    const string LabClient = """
        import json, os, sys, time
        import boto3

        function_name, image_url = sys.argv[1], sys.argv[2]
        client = boto3.client("lambda", region_name="ap-south-1", endpoint_url=os.environ["AWS_ENDPOINT_URL_LAMBDA"])
        started = time.time() * 1000
        response = client.invoke(FunctionName=function_name, InvocationType="RequestResponse",
                                 Payload=json.dumps({"image_url": image_url}))
        e2e_ms = time.time() * 1000 - started
        payload = json.loads(response["Payload"].read())
        body = json.loads(payload["body"]) if isinstance(payload.get("body"), str) else {}
        print(json.dumps({"status_code": payload.get("statusCode", 500), "e2e_ms": e2e_ms,
                          "lambda_ec2_call_time_ms": body.get("lambda_ec2_call_time_ms"), "result": body.get("result")}))
        """;

    readonly string _stateDirectory = Directory.CreateTempSubdirectory("hybrid-lab-test").FullName;

    public void Dispose() => StackLeftovers.CleanUp(_stateDirectory);

    [Fact]
    public async Task ServerUrlSendsInvocationsToThatServerAndLocalEnvPointsTheAwsCliAndBoto3AtTheStack()
    {
        await using var origin = await ImageOrigin.StartAsync();
        var imageUrl = origin.Serve("/sample.png", SampleImages.Png).ToString();
        // The second server: the packaged server with its own moto and bucket, started by the test.
        await using var secondMoto = await MotoProcess.StartAsync();
        using var secondS3 = new AmazonS3Client(
            new Amazon.Runtime.BasicAWSCredentials(MotoServer.AccessKeyId, MotoServer.SecretAccessKey),
            new AmazonS3Config { ServiceURL = secondMoto.Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        await secondS3.PutBucketAsync(SecondBucket);
        await using var secondServer = await ServerProcess.StartAsync(
            Path.Combine(artifacts.Directory, "server", Packager.ServerExecutableName), ServerProcess.LocalSettings(secondMoto.Endpoint, SecondBucket));
        var secondServerUrl = secondServer.BaseUrl.ToString().TrimEnd('/');

        var up = await Hybrid("local", "up", "--no-terraform", "--artifacts", artifacts.Directory, "--server-url", secondServerUrl);
        Assert.True(up.ExitCode == 0, up.Output);
        try
        {
            var statusRun = await Hybrid("local", "status", "--json");
            Assert.True(statusRun.ExitCode == 0, statusRun.Output);
            var status = JsonSerializer.Deserialize(statusRun.StandardOutput, HybridIngestJsonContext.Default.LocalStackStatus)!;
            Assert.Equal(secondServerUrl, status.ServerUrl);
            Assert.Equal([LocalMotoProcess.Name, LocalLambdaHostProcess.Name], status.Processes.Select(p => p.Name));
            var statusText = await Hybrid("local", "status");
            Assert.Contains($"{secondServerUrl} (--server-url", statusText.StandardOutput, StringComparison.Ordinal);

            var env = await Hybrid("local", "env");
            Assert.True(env.ExitCode == 0, env.Output);
            var variables = ExportLines(env.StandardOutput);
            Assert.Equal(status.LambdaEndpoint, variables["AWS_ENDPOINT_URL_LAMBDA"]);
            Assert.Equal(status.S3Endpoint, variables["AWS_ENDPOINT_URL_S3"]);
            Assert.Equal(status.Region, variables["AWS_REGION"]);
            Assert.Contains("AWS_ACCESS_KEY_ID", variables.Keys);
            Assert.Contains("AWS_SECRET_ACCESS_KEY", variables.Keys);

            // The real AWS CLI with those variables alone: no --endpoint-url, no --region.
            var eventFile = Path.Combine(_stateDirectory, "event.json");
            var outFile = Path.Combine(_stateDirectory, "out.json");
            await File.WriteAllTextAsync(eventFile, $$"""{"image_url": "{{imageUrl}}"}""");
            var aws = await ExternalProcess.RunAsync("aws",
                ["lambda", "invoke", "--function-name", status.FunctionName, "--payload", $"fileb://{eventFile}", outFile], Only(variables));
            Assert.True(aws.ExitCode == 0, aws.Output);
            var stored = StoredBySecondServer(JsonSerializer.Deserialize(await File.ReadAllTextAsync(outFile), HybridIngestJsonContext.Default.FunctionResponse)!);
            using (var response = await secondS3.GetObjectAsync(SecondBucket, stored.Key))
            using (var bytes = new MemoryStream())
            {
                await response.ResponseStream.CopyToAsync(bytes);
                Assert.Equal(SampleImages.Png.Bytes, bytes.ToArray());
            }

            // The lab's client handling, through boto3.
            var script = Path.Combine(_stateDirectory, "lab_client.py");
            await File.WriteAllTextAsync(script, LabClient);
            var python = await ExternalProcess.RunAsync("python3", [script, status.FunctionName, imageUrl], Only(variables));
            Assert.True(python.ExitCode == 0, python.Output);
            using var lab = JsonDocument.Parse(python.StandardOutput);
            Assert.Equal(200, lab.RootElement.GetProperty("status_code").GetInt32());
            Assert.True(lab.RootElement.GetProperty("lambda_ec2_call_time_ms").GetDouble() > 0, python.StandardOutput);
            var labResult = lab.RootElement.GetProperty("result");
            Assert.True(labResult.GetProperty("success").GetBoolean());
            Assert.Equal(SecondBucket, labResult.GetProperty("bucket").GetString());
            await secondS3.GetObjectMetadataAsync(SecondBucket, labResult.GetProperty("key").GetString());
        }
        finally
        {
            var down = await Hybrid("local", "down");
            Assert.True(down.ExitCode == 0, down.Output);
        }
    }

    [Fact]
    public async Task LocalEnvWithNothingUpPrintsNothingAndExitsWithUsage()
    {
        var env = await Hybrid("local", "env");

        Assert.Equal((int)ExitCode.Usage, env.ExitCode);
        Assert.Equal("", env.StandardOutput);
        Assert.Contains("no local stack is up", env.StandardError, StringComparison.Ordinal);
    }

    static ProcessImageResponse StoredBySecondServer(FunctionResponse response)
    {
        Assert.True(response.StatusCode == 200, response.Body);
        var body = JsonSerializer.Deserialize(response.Body, HybridIngestJsonContext.Default.FunctionResponseBody)!;
        var result = body.Result!.Value.Deserialize(HybridIngestJsonContext.Default.ProcessImageResponse)!;
        Assert.Equal(SecondBucket, result.Bucket);
        return result;
    }

    /// <summary>Each line must be <c>export NAME='VALUE'</c>, the form eval takes.</summary>
    static Dictionary<string, string> ExportLines(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        return lines.Select(line => ExportLine().Match(line)).Select(match =>
        {
            Assert.True(match.Success, output);
            return (match.Groups[1].Value, match.Groups[2].Value);
        }).ToDictionary();
    }

    /// <summary>
    /// The exported variables, and none of the AWS settings this process may have (a profile, a
    /// session token, other endpoints), so that the tools find the stack through them alone.
    /// </summary>
    static Dictionary<string, string?> Only(IReadOnlyDictionary<string, string> variables)
    {
        var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(name => name.StartsWith("AWS_", StringComparison.Ordinal))
            .ToDictionary(name => name, _ => (string?)null);
        foreach (var (name, value) in variables)
        {
            environment[name] = value;
        }
        return environment;
    }

    Task<ProcessRun> Hybrid(params string[] arguments) => HybridCli.RunAsync([.. arguments, "--state-dir", _stateDirectory]);

    [GeneratedRegex("^export ([A-Z0-9_]+)='([^']*)'$")]
    private static partial Regex ExportLine();
}
