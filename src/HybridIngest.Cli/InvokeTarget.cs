using System.Text.Json;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using CliWrap.Buffered;
using HybridIngest.Contracts;
using HybridIngest.Offline;

namespace HybridIngest.Cli;

/// <summary>Where invoke and bench send their invocations, and where the images land.</summary>
public sealed record InvokeTarget(
    Uri LambdaEndpoint,
    string FunctionName,
    string Region,
    AWSCredentials Credentials,
    Uri? S3Endpoint,
    string Source)
{
    public LambdaInvoker CreateInvoker(HttpClient http) => new(http, LambdaEndpoint, Region, Credentials);

    /// <summary>
    /// Explicit options first, then the local stack's state (<c>hybrid local up</c>), then the
    /// outputs of the Terraform stack in <paramref name="infraDirectory"/> (real AWS).
    /// </summary>
    public static async Task<InvokeTarget> ResolveAsync(
        string? functionName,
        Uri? endpointUrl,
        string? region,
        LocalState state,
        string infraDirectory,
        CancellationToken cancellationToken)
    {
        if (endpointUrl is not null)
        {
            if (functionName is null)
            {
                throw new UserException("--endpoint-url needs --function: which function to invoke there.");
            }
            // A local endpoint checks no signature, but a signed request is what AWS would get.
            return new InvokeTarget(endpointUrl, functionName, region ?? DefaultRegion() ?? "us-east-1", EmulatorS3.Credentials(), null, "options");
        }

        if (state.Load() is { } local)
        {
            return Local(local with { FunctionName = functionName ?? local.FunctionName, Region = region ?? local.Region }, $"local stack ({state.StateFile})");
        }

        var source = "options";
        if (functionName is null || region is null)
        {
            Tool.Require(Tool.Terraform);
            var outputs = await TerraformOutputsAsync(infraDirectory, cancellationToken);
            functionName ??= outputs.GetValueOrDefault("function_name");
            region ??= outputs.GetValueOrDefault("region");
            source = $"terraform outputs of {infraDirectory}";
        }
        region ??= DefaultRegion();
        if (functionName is null || region is null)
        {
            throw new UserException(
                $"No function to invoke: give --function and --region, start the local stack with 'hybrid local up', or deploy {infraDirectory} with terraform.");
        }
        return new InvokeTarget(LambdaInvoker.RegionalEndpoint(region), functionName, region, await AwsCredentialsAsync(), null, source);
    }

    /// <summary>The function of a local stack (its Invoke API, its region, moto's dummy keys and S3).</summary>
    public static InvokeTarget Local(LocalStackStatus stack, string source) => new(
        new Uri(stack.LambdaEndpoint), stack.FunctionName, stack.Region, EmulatorS3.Credentials(), new Uri(stack.S3Endpoint), source);

    static string? DefaultRegion() =>
        Environment.GetEnvironmentVariable("AWS_REGION") is { Length: > 0 } region ? region
        : Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") is { Length: > 0 } fallback ? fallback
        : null;

    /// <summary>
    /// The AWS SDK's default credential chain (environment, profile, SSO, container, instance),
    /// resolved once here so that missing credentials are reported before anything is sent; the
    /// signer asks them again per request, so temporary credentials are refreshed during a bench.
    /// </summary>
    static async Task<AWSCredentials> AwsCredentialsAsync()
    {
        try
        {
            var credentials = await new DefaultAWSCredentialsIdentityResolver().ResolveIdentityAsync(null!, CancellationToken.None);
            await credentials.GetCredentialsAsync();
            return credentials;
        }
        catch (Amazon.Runtime.AmazonClientException e)
        {
            throw new UserException($"No AWS credentials found ({e.Message}). Configure them (aws configure, AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).");
        }
    }

    /// <summary>The values of <c>terraform -chdir=DIR output -json</c> that are strings (terraform on PATH: see <see cref="Tool.Require"/>).</summary>
    internal static async Task<Dictionary<string, string>> TerraformOutputsAsync(string infraDirectory, CancellationToken cancellationToken)
    {
        var terraform = await CliWrap.Cli.Wrap(Tool.Terraform.Name)
            .WithArguments([$"-chdir={infraDirectory}", "output", "-json"])
            .WithValidation(CliWrap.CommandResultValidation.None)
            .ExecuteBufferedAsync(cancellationToken);
        if (terraform.ExitCode != 0)
        {
            // No state, not initialised: the caller reports what is missing.
            return [];
        }
        var output = terraform.StandardOutput;

        var values = new Dictionary<string, string>();
        using var document = JsonDocument.Parse(output.Length == 0 ? "{}" : output);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Value.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.String)
            {
                values[property.Name] = value.GetString()!;
            }
        }
        return values;
    }
}
