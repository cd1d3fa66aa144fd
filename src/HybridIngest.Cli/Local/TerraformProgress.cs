using System.Text.RegularExpressions;

namespace HybridIngest.Cli.Local;

/// <summary>
/// How far a <c>terraform apply</c> or <c>destroy</c> has got, read from its output line by line as
/// it is printed: the plan's "Plan: A to add, C to change, D to destroy." gives the number of
/// resource changes, and each "…: Creation complete after", "Modifications complete after" or
/// "Destruction complete after" line is one of them done (a replacement is a destruction and a
/// creation, and counts as both in the plan too).
/// </summary>
public sealed partial class TerraformProgress
{
    int _total = -1;
    int _done;

    /// <summary>Resource changes done so far.</summary>
    public int Done => Volatile.Read(ref _done);

    /// <summary>Reads one line of Terraform's output (without colour).</summary>
    public void Observe(string line)
    {
        if (PlanSummary().Match(line) is { Success: true } plan)
        {
            Volatile.Write(ref _total, int.Parse(plan.Groups["add"].Value) + int.Parse(plan.Groups["change"].Value) + int.Parse(plan.Groups["destroy"].Value));
        }
        else if (line.StartsWith("No changes.", StringComparison.Ordinal))
        {
            Volatile.Write(ref _total, 0);
        }
        else if (ChangeComplete().IsMatch(line))
        {
            Interlocked.Increment(ref _done);
        }
    }

    /// <summary>"12 of 49 resources", or null while the plan is not known yet.</summary>
    public string? Describe() => Volatile.Read(ref _total) is var total and >= 0 ? $"{Done} of {total} resources" : null;

    [GeneratedRegex(@"^Plan: (?:\d+ to import, )?(?<add>\d+) to add, (?<change>\d+) to change, (?<destroy>\d+) to destroy\.")]
    private static partial Regex PlanSummary();

    [GeneratedRegex(@"^\S+: (?:Creation|Modifications|Destruction) complete after ")]
    private static partial Regex ChangeComplete();
}
