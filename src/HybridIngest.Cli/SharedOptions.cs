using System.CommandLine;

namespace HybridIngest.Cli;

/// <summary>The options several commands take, each defined once with its parser.</summary>
public static class SharedOptions
{
    /// <summary>invoke, bench.</summary>
    public static readonly Option<string> Url = Required(OptionKinds.HttpUrl("--url",
        "Image URL to send in the lab's event {\"image_url\": URL}.", "https://example.com/cat.jpg", uri => uri.OriginalString));

    /// <summary>invoke, bench: which function, where.</summary>
    public static readonly Option<string?> Function = OptionKinds.Text<string?>("--function",
        "Function name or ARN (default: the local stack's, else terraform output function_name).", "a function name or ARN");

    public static readonly Option<Uri?> EndpointUrl = OptionKinds.HttpUrl<Uri?>("--endpoint-url",
        "Invoke API endpoint to use instead of AWS's (e.g. the local stack's lambda_endpoint); needs --function.", "http://127.0.0.1:9001", uri => uri);

    public static readonly Option<string?> Region = OptionKinds.Text<string?>("--region",
        "AWS region (default: the local stack's, else terraform output region, else AWS_REGION).", "an AWS region such as eu-west-1");

    public static readonly Option<string> Infra = WithDefault(OptionKinds.Text<string>("--infra",
        "Terraform root module whose outputs name the deployed function (real AWS).", "a directory path"), "infra");

    /// <summary>invoke, verify, bench, local up/down/status.</summary>
    public static readonly Option<string?> StateDir = OptionKinds.Text<string?>("--state-dir",
        $"Directory of the local stack's state, logs and Terraform state, and of the last results (default: ${LocalState.EnvironmentVariable}, else ./.hybrid).",
        "a directory path");

    /// <summary>local up, local invoke, demo.</summary>
    public static readonly Option<string> Artifacts = WithDefault(OptionKinds.Text<string>("--artifacts",
        "Directory of lambda.zip and server.zip (packaged there first when missing or built from other sources).", "a directory path"), "artifacts");

    /// <summary>invoke, local invoke: the answer as one <see cref="Contracts.InvokeResult"/> (status's <c>--json</c> prints the state instead).</summary>
    public static readonly Option<bool> InvokeJson = new("--json")
    {
        Description = "Print only the outcome as JSON on stdout: succeeded, invoke_status, function_status, end_to_end_ms, lambda_ec2_call_time_ms, cold_start, init_duration_ms, request_id, and result (the server's answer) or error and error_message.",
    };

    /// <summary>The function to invoke: <see cref="Function"/> and <see cref="EndpointUrl"/>, else the local stack, else Terraform's outputs.</summary>
    public static Task<InvokeTarget> ResolveTargetAsync(ParseResult result, LocalState state, CancellationToken ct) =>
        InvokeTarget.ResolveAsync(result.GetValue(Function), result.GetValue(EndpointUrl), result.GetValue(Region), state, result.GetValue(Infra)!, ct);

    internal static Option<T> WithDefault<T>(Option<T> option, T value)
    {
        option.DefaultValueFactory = _ => value;
        return option;
    }

    internal static Option<T> Required<T>(Option<T> option)
    {
        option.Required = true;
        return option;
    }
}
