namespace HybridIngest.Cli;

/// <summary>Runs a command's action and maps what happened to an <see cref="ExitCode"/>.</summary>
public static class CommandAction
{
    /// <summary>Runs an action; problems the user can fix are printed as their message alone.</summary>
    public static async Task<int> Run(Func<Task<ExitCode>> action)
    {
        try
        {
            return (int)await action();
        }
        catch (UserException e)
        {
            await Console.Error.WriteLineAsync($"hybrid: {e.Message}");
            return (int)e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("hybrid: interrupted.");
            return (int)ExitCode.Cancelled;
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"hybrid: unexpected error: {e.GetType().Name}: {e.Message}");
            return (int)ExitCode.Error;
        }
    }
}
