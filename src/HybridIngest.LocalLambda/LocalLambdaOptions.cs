namespace HybridIngest.LocalLambda;

/// <summary>The function the local host serves: its package and its Lambda configuration.</summary>
public sealed record LocalLambdaOptions
{
    /// <summary>The function's name; the Invoke API answers 404 for any other.</summary>
    public required string FunctionName { get; init; }

    /// <summary>The custom runtime's executable (a <c>bootstrap</c>); its folder is LAMBDA_TASK_ROOT.</summary>
    public required string BootstrapPath { get; init; }

    /// <summary>The function's own environment variables (Lambda's are added, and win).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Lambda's function timeout, 1–900 s (default 3 s, as in Lambda).</summary>
    public int TimeoutSeconds { get; init; } = 3;

    /// <summary>Lambda's memory size, 128–10240 MB: reported to the function and in REPORT lines.</summary>
    public int MemoryMb { get; init; } = 128;

    /// <summary>Most execution environments at once; an invocation beyond them gets 429.</summary>
    public int MaxConcurrency { get; init; } = 10;

    /// <summary>How long an environment may stay idle before it is shut down.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Loopback port of the Invoke and Runtime APIs; 0 lets the OS pick a free one.</summary>
    public int Port { get; init; }

    public string Region { get; init; } = "us-east-1";

    /// <summary>
    /// The account id in the function's ARN: the deployed function's (local up passes the one in
    /// Terraform's function_arn); by default moto's, the account of everything moto creates.
    /// </summary>
    public string AccountId { get; init; } = "123456789012";

    /// <summary>The log: the function's stdout and stderr lines and the START/END/REPORT lines, as CloudWatch gets them.</summary>
    public Action<string>? Log { get; init; }

    public string FunctionArn => $"arn:aws:lambda:{Region}:{AccountId}:function:{FunctionName}";

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(FunctionName))
        {
            throw new ArgumentException("FunctionName is empty.", nameof(FunctionName));
        }
        if (!File.Exists(BootstrapPath))
        {
            throw new ArgumentException($"The bootstrap '{BootstrapPath}' does not exist: build the function first.", nameof(BootstrapPath));
        }
        if (TimeoutSeconds is < 1 or > 900)
        {
            throw new ArgumentOutOfRangeException(nameof(TimeoutSeconds), TimeoutSeconds, "Lambda's timeout is 1 to 900 seconds.");
        }
        if (MemoryMb is < 128 or > 10240)
        {
            throw new ArgumentOutOfRangeException(nameof(MemoryMb), MemoryMb, "Lambda's memory size is 128 to 10240 MB.");
        }
        if (MaxConcurrency < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, "At least one execution environment is needed.");
        }
        if (IdleTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(IdleTimeout), IdleTimeout, "The idle timeout must be positive.");
        }
    }
}
