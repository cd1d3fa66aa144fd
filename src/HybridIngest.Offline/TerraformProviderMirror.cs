namespace HybridIngest.Offline;

/// <summary>
/// Where <c>terraform init -plugin-dir=…</c> finds the aws provider on a machine without registry
/// access: the directory named by <c>HYBRID_TF_PLUGIN_DIR</c>, else a directory two levels below
/// the root that holds <c>registry.terraform.io</c> (where this machine's image puts it, e.g.
/// <c>/opt/tf-plugins</c>), else none (Terraform's registry).
/// </summary>
public static class TerraformProviderMirror
{
    public const string Variable = "HYBRID_TF_PLUGIN_DIR";

    static readonly Lazy<string?> Found = new(Search);

    public static string? Find() =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } configured ? configured : Found.Value;

    static string? Search()
    {
        string[] skipped = ["/proc", "/sys", "/dev", "/run"];
        foreach (var top in SafeDirectories("/").Where(directory => !skipped.Contains(directory)))
        {
            foreach (var candidate in SafeDirectories(top))
            {
                if (Directory.Exists(Path.Combine(candidate, "registry.terraform.io")))
                {
                    return candidate;
                }
            }
        }
        return null;
    }

    static IEnumerable<string> SafeDirectories(string parent)
    {
        try
        {
            return Directory.GetDirectories(parent);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
