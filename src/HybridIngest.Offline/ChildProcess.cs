using System.Diagnostics;

namespace HybridIngest.Offline;

static class ProcessTree
{
    /// <summary>Kills a child process and its descendants, if it still runs.</summary>
    public static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
