using System.Globalization;

namespace HybridIngest.Bench;

/// <summary>
/// CPU time and peak memory of a process and its descendants (gunicorn's workers), from /proc:
/// utime + stime of <c>/proc/PID/stat</c> and VmHWM of <c>/proc/PID/status</c>.
/// </summary>
sealed class ProcessTree(int rootId)
{
    static readonly double TicksPerSecond = 100; // USER_HZ, 100 on every Linux the project targets

    /// <summary>CPU seconds (user + system) used so far by the live processes of the tree.</summary>
    public double CpuSeconds() => Members().Sum(stat => (long.Parse(stat[12], CultureInfo.InvariantCulture)
        + long.Parse(stat[13], CultureInfo.InvariantCulture)) / TicksPerSecond);

    /// <summary>The sum of the tree's processes' peak resident set sizes, in bytes.</summary>
    public long PeakRssBytes() => Members().Sum(stat => PeakRss(int.Parse(stat[0], CultureInfo.InvariantCulture)));

    static long PeakRss(int processId)
    {
        try
        {
            var line = File.ReadLines($"/proc/{processId}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0; // exited meanwhile
        }
    }

    /// <summary>The stat fields (pid first, after the command name) of the root and every descendant.</summary>
    List<string[]> Members()
    {
        var all = new List<string[]>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var id))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                // "pid (comm) state ppid …": comm may hold spaces, so split after its closing parenthesis.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                all.Add([id.ToString(CultureInfo.InvariantCulture), .. fields]);
            }
            catch (IOException)
            {
                // exited meanwhile
            }
        }
        var members = new List<string[]>();
        var ids = new HashSet<string> { rootId.ToString(CultureInfo.InvariantCulture) };
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var stat in all)
            {
                // fields after comm: [1] state, [2] ppid, … [12] utime, [13] stime (stat fields 14 and 15)
                if (!ids.Contains(stat[0]) && ids.Contains(stat[2]))
                {
                    ids.Add(stat[0]);
                    grew = true;
                }
            }
        }
        members.AddRange(all.Where(stat => ids.Contains(stat[0])));
        return members;
    }
}
