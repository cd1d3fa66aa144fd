using HybridIngest.Testing;

namespace HybridIngest.Cli.Tests;

/// <summary>Reading the deployed stack's names from a real <c>terraform output -json</c>.</summary>
public sealed class TerraformOutputsTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("hybrid-tf-outputs").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task ReadsTheStringOutputsOfAnAppliedRootModule()
    {
        // Outputs only: no provider, so init and apply run offline.
        File.WriteAllText(Path.Combine(_directory, "outputs.tf"), """
            output "function_name" { value = "fn-from-terraform" }
            output "region" { value = "eu-central-1" }
            output "function_timeout_s" { value = 30 }
            output "function_environment" { value = { SERVER_URL = "http://10.0.0.1:8080" } }
            """);
        await Terraform("init", "-input=false");
        await Terraform("apply", "-auto-approve", "-input=false");

        var outputs = await InvokeTarget.TerraformOutputsAsync(_directory, CancellationToken.None);

        Assert.Equal(
            new Dictionary<string, string> { ["function_name"] = "fn-from-terraform", ["region"] = "eu-central-1" },
            outputs);
    }

    [Fact]
    public async Task HasNoOutputsWhereNothingWasApplied() =>
        Assert.Empty(await InvokeTarget.TerraformOutputsAsync(Path.Combine(_directory, "nowhere"), CancellationToken.None));

    async Task Terraform(params string[] arguments)
    {
        var terraform = await ExternalProcess.RunAsync("terraform", [$"-chdir={_directory}", .. arguments]);
        Assert.True(terraform.Succeeded, terraform.ToString());
    }
}
