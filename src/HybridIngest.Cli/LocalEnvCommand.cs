using System.CommandLine;
using HybridIngest.Offline;
using static HybridIngest.Cli.SharedOptions;

namespace HybridIngest.Cli;

/// <summary>
/// <c>hybrid local env</c>: <c>export</c> lines that point any AWS SDK or CLI on this machine at the
/// local stack, for <c>eval "$(hybrid local env)"</c>. With nothing up it prints nothing to stdout
/// (so the eval changes nothing) and says why on stderr.
/// </summary>
public static class LocalEnvCommand
{
    public static Command Create()
    {
        var command = new Command("env",
            "Print export lines (AWS_ENDPOINT_URL_LAMBDA, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, dummy keys, AWS_REGION) for the local stack: eval \"$(hybrid local env)\" points the AWS CLI and SDKs at it. "
            + $"Exit code {(int)ExitCode.Usage} when nothing is up, {(int)ExitCode.CheckFailed} when a process of it is gone.")
        {
            StateDir,
        };
        command.SetAction((result, _) => CommandAction.Run(() =>
        {
            var state = LocalState.Resolve(result.GetValue(StateDir));
            if (LocalStack.Status(state) is not { } status)
            {
                throw new UserException($"no local stack is up (no {state.StateFile}), so there is nothing to point the AWS tools at. Start one with 'hybrid local up'.");
            }
            if (status.Processes.FirstOrDefault(p => p.Alive != true) is { } gone)
            {
                Console.Error.WriteLine($"hybrid: the local stack's {gone.Name} (pid {gone.Pid}) is gone; see 'hybrid local status', then 'hybrid local down' and 'hybrid local up'.");
                return Task.FromResult(ExitCode.CheckFailed);
            }
            foreach (var (name, value) in Variables(status))
            {
                Console.Out.WriteLine($"export {name}='{value}'");
            }
            return Task.FromResult(ExitCode.Success);
        }));
        return command;
    }

    /// <summary>
    /// The Lambda endpoint is the local host's; every other service (S3, EC2, IAM, …) is moto's,
    /// where infra/ was applied. AWS_DEFAULT_REGION too, because boto3 and AWS CLI v1 read only it.
    /// </summary>
    static IEnumerable<(string Name, string Value)> Variables(Contracts.LocalStackStatus status) =>
    [
        ("AWS_ENDPOINT_URL_LAMBDA", status.LambdaEndpoint),
        ("AWS_ENDPOINT_URL_S3", status.S3Endpoint),
        ("AWS_ENDPOINT_URL", status.S3Endpoint),
        ("AWS_ACCESS_KEY_ID", MotoServer.AccessKeyId),
        ("AWS_SECRET_ACCESS_KEY", MotoServer.SecretAccessKey),
        ("AWS_REGION", status.Region),
        ("AWS_DEFAULT_REGION", status.Region),
    ];
}
