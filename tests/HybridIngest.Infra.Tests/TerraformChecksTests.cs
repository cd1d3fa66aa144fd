using System.Text.RegularExpressions;

namespace HybridIngest.Infra.Tests;

/// <summary>Formatting, validation and the offline <c>terraform test</c> suites of infra/.</summary>
public sealed partial class TerraformChecksTests(TerraformWorkspace workspace) : IClassFixture<TerraformWorkspace>
{
    [Fact]
    public async Task ModuleIsCanonicallyFormatted()
    {
        var result = await workspace.RunAsync(["fmt", "-check", "-recursive", "-diff", "-no-color"]);

        Assert.True(result.Succeeded, "Run `terraform fmt -recursive` in infra/." + Environment.NewLine + result);
    }

    [Fact]
    public async Task ModuleIsValid()
    {
        var result = await workspace.RunAsync(["validate", "-no-color"]);

        Assert.True(result.Succeeded, result.ToString());
    }

    [Fact]
    public async Task TerraformTestSuitesPassOnTheMockProvider()
    {
        var result = await workspace.RunAsync(["test", "-no-color"], TimeSpan.FromMinutes(8)); // a guard against a hang, not a measure

        Assert.True(result.Succeeded, result.ToString());
        var summary = Summary().Match(result.StandardOutput);
        Assert.True(summary.Success, "No test summary in the output." + Environment.NewLine + result);
        var runBlocks = Directory.EnumerateFiles(Path.Combine(workspace.Module, "tests"), "*.tftest.hcl")
            .Sum(file => RunBlock().Count(File.ReadAllText(file)));
        Assert.True(runBlocks > 0, "No run blocks found in infra/tests.");
        Assert.True(summary.Groups["passed"].Value == runBlocks.ToString(System.Globalization.CultureInfo.InvariantCulture),
            $"Expected all {runBlocks} run blocks to pass." + Environment.NewLine + result);
    }

    [GeneratedRegex(@"Success! (?<passed>\d+) passed, 0 failed")]
    private static partial Regex Summary();

    [GeneratedRegex(@"^run """, RegexOptions.Multiline)]
    private static partial Regex RunBlock();
}
