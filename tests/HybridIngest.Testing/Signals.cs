using System.ComponentModel;
using System.Runtime.InteropServices;

namespace HybridIngest.Testing;

/// <summary>POSIX signals to a process a test or benchmark started (.NET's Process can only kill).</summary>
public static class Signals
{
    public const int Interrupt = 2;  // SIGINT (Ctrl+C)
    public const int Kill = 9;       // SIGKILL
    public const int Terminate = 15; // SIGTERM
    public const int Continue = 18;  // SIGCONT (Linux)
    public const int Stop = 19;      // SIGSTOP (Linux)

    public static void Send(int processId, int signal)
    {
        if (SendSignal(processId, signal) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), $"kill({processId}, {signal}) failed");
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int SendSignal(int pid, int signal);
}
