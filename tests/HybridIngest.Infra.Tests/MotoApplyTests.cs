using System.Text.Json;
using HybridIngest.Testing;

namespace HybridIngest.Infra.Tests;

/// <summary>
/// The real <c>terraform apply</c> and <c>destroy</c> of infra/ against a fresh moto_server, checked
/// through the AWS API: what the emulator holds after apply, and that destroy leaves nothing.
/// </summary>
public sealed class MotoApplyTests(TerraformWorkspace workspace) : IClassFixture<TerraformWorkspace>, IAsyncLifetime
{
    const string Region = "us-east-1";
    static readonly TimeSpan ApplyTimeout = TimeSpan.FromMinutes(4);

    MotoProcess _moto = null!;
    AwsCli _aws = null!;

    public async Task InitializeAsync()
    {
        _moto = await MotoProcess.StartAsync();
        _aws = new AwsCli(_moto, Region, workspace.Root);
    }

    public async Task DisposeAsync() => await _moto.DisposeAsync();

    [Fact]
    public async Task AppliesTheSecureStackToMotoAndDestroysAllOfIt()
    {
        string[] variables =
        [
            "-var", $"aws_endpoint_url={_moto.Endpoint.ToString().TrimEnd('/')}",
            "-var", $"region={Region}",
            "-var", $"server_artifact_path={workspace.CreateDummyArtifact("server.zip", "HybridIngest.Server")}",
            "-var", $"lambda_artifact_path={workspace.CreateDummyArtifact("lambda.zip", "bootstrap")}",
        ];

        var apply = await workspace.RunAsync(["apply", "-auto-approve", "-input=false", "-no-color", .. variables], ApplyTimeout);
        Assert.True(apply.Succeeded, apply.ToString());

        var outputs = await workspace.OutputsAsync();
        string Output(string name) => outputs.GetProperty(name).GetProperty("value").GetString()!;
        var bucket = Output("bucket_name");
        var instanceId = Output("instance_id");
        var functionName = Output("function_name");

        // The seed lab's steps and benchmark.py find the function under the lab's output name.
        var labFunctionName = await workspace.RunAsync(["output", "-raw", "-no-color", "lambda_function_name"]);
        Assert.True(labFunctionName.Succeeded, labFunctionName.ToString());
        Assert.Equal(functionName, labFunctionName.StandardOutput);

        await AssertBucketIsPrivateAndEncrypted(bucket);
        var (serverGroup, functionGroup, vpcId) = await AssertOnlyTheFunctionReachesTheServer();
        await AssertInstanceIsHardened(instanceId, serverGroup);
        await AssertUserDataIsABootScriptForThisStack(instanceId, bucket);
        await AssertFunctionIsConfigured(functionName, functionGroup, outputs);
        await AssertRolesHaveInlinePoliciesOnly();

        // An image stored by the server: destroy must remove the bucket with it (force_destroy).
        var image = Path.Combine(workspace.Root, "left-behind.png");
        await File.WriteAllBytesAsync(image, [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        await _aws.JsonAsync("s3api", "put-object", "--bucket", bucket, "--key", "images/left-behind.png", "--body", image);

        var destroy = await workspace.RunAsync(["destroy", "-auto-approve", "-input=false", "-no-color", .. variables], ApplyTimeout);
        Assert.True(destroy.Succeeded, destroy.ToString());

        await AssertNothingRemains(bucket, instanceId, functionName, vpcId, outputs);
    }

    async Task AssertBucketIsPrivateAndEncrypted(string bucket)
    {
        var block = (await _aws.JsonAsync("s3api", "get-public-access-block", "--bucket", bucket))
            .GetProperty("PublicAccessBlockConfiguration");
        foreach (var setting in new[] { "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets" })
        {
            Assert.True(block.GetProperty(setting).GetBoolean(), $"{setting} is off: {block}");
        }

        var encryption = await _aws.JsonAsync("s3api", "get-bucket-encryption", "--bucket", bucket);
        var rule = encryption.GetProperty("ServerSideEncryptionConfiguration").GetProperty("Rules")[0];
        Assert.Equal("AES256", rule.GetProperty("ApplyServerSideEncryptionByDefault").GetProperty("SSEAlgorithm").GetString());

        var ownership = await _aws.JsonAsync("s3api", "get-bucket-ownership-controls", "--bucket", bucket);
        Assert.Equal("BucketOwnerEnforced",
            ownership.GetProperty("OwnershipControls").GetProperty("Rules")[0].GetProperty("ObjectOwnership").GetString());

        var lifecycle = await _aws.JsonAsync("s3api", "get-bucket-lifecycle-configuration", "--bucket", bucket);
        Assert.Contains(lifecycle.GetProperty("Rules").EnumerateArray(),
            r => r.TryGetProperty("AbortIncompleteMultipartUpload", out var abort) && abort.GetProperty("DaysAfterInitiation").GetInt32() == 1);

        // The server's package is in the bucket, where the instance's user_data fetches it from.
        await _aws.JsonAsync("s3api", "head-object", "--bucket", bucket, "--key", "artifacts/server.zip");
    }

    async Task<(string Server, string Function, string VpcId)> AssertOnlyTheFunctionReachesTheServer()
    {
        var groups = (await _aws.JsonAsync("ec2", "describe-security-groups", "--filters",
                "Name=group-name,Values=hybrid-ingest-server,hybrid-ingest-function"))
            .GetProperty("SecurityGroups").EnumerateArray().ToDictionary(g => g.GetProperty("GroupName").GetString()!);
        var server = groups["hybrid-ingest-server"];
        var function = groups["hybrid-ingest-function"];
        var serverId = server.GetProperty("GroupId").GetString()!;
        var functionId = function.GetProperty("GroupId").GetString()!;

        var ingress = Assert.Single(server.GetProperty("IpPermissions").EnumerateArray());
        Assert.Equal("tcp", ingress.GetProperty("IpProtocol").GetString());
        Assert.Equal(8080, ingress.GetProperty("FromPort").GetInt32());
        Assert.Equal(8080, ingress.GetProperty("ToPort").GetInt32());
        Assert.Empty(ingress.GetProperty("IpRanges").EnumerateArray());
        Assert.Equal(functionId, Assert.Single(ingress.GetProperty("UserIdGroupPairs").EnumerateArray()).GetProperty("GroupId").GetString());

        Assert.Empty(function.GetProperty("IpPermissions").EnumerateArray());
        var egress = Assert.Single(function.GetProperty("IpPermissionsEgress").EnumerateArray());
        Assert.Equal(8080, egress.GetProperty("FromPort").GetInt32());
        Assert.Empty(egress.GetProperty("IpRanges").EnumerateArray());
        Assert.Equal(serverId, Assert.Single(egress.GetProperty("UserIdGroupPairs").EnumerateArray()).GetProperty("GroupId").GetString());

        var serverEgressPorts = server.GetProperty("IpPermissionsEgress").EnumerateArray()
            .Select(p => p.GetProperty("FromPort").GetInt32()).Order();
        Assert.Equal([80, 443], serverEgressPorts);

        var vpcId = server.GetProperty("VpcId").GetString()!;
        var vpcGroups = (await _aws.JsonAsync("ec2", "describe-security-groups", "--filters", $"Name=vpc-id,Values={vpcId}"))
            .GetProperty("SecurityGroups").EnumerateArray().ToList();
        var everyIngressRange = vpcGroups
            .SelectMany(g => g.GetProperty("IpPermissions").EnumerateArray())
            .SelectMany(p => p.GetProperty("IpRanges").EnumerateArray())
            .Select(r => r.GetProperty("CidrIp").GetString());
        Assert.DoesNotContain("0.0.0.0/0", everyIngressRange);
        var defaultGroup = vpcGroups.Single(g => g.GetProperty("GroupName").GetString() == "default");
        Assert.Empty(defaultGroup.GetProperty("IpPermissions").EnumerateArray());
        Assert.Empty(defaultGroup.GetProperty("IpPermissionsEgress").EnumerateArray());

        return (serverId, functionId, vpcId);
    }

    async Task AssertInstanceIsHardened(string instanceId, string serverGroup)
    {
        var instance = (await _aws.JsonAsync("ec2", "describe-instances", "--instance-ids", instanceId))
            .GetProperty("Reservations")[0].GetProperty("Instances")[0];

        var metadata = instance.GetProperty("MetadataOptions");
        Assert.Equal("required", metadata.GetProperty("HttpTokens").GetString());
        Assert.Equal(1, metadata.GetProperty("HttpPutResponseHopLimit").GetInt32());
        Assert.Equal("enabled", metadata.GetProperty("HttpEndpoint").GetString());

        Assert.EndsWith(":instance-profile/hybrid-ingest-server", instance.GetProperty("IamInstanceProfile").GetProperty("Arn").GetString());
        Assert.Equal(serverGroup, Assert.Single(instance.GetProperty("SecurityGroups").EnumerateArray()).GetProperty("GroupId").GetString());
        Assert.False(instance.TryGetProperty("KeyName", out _), "The instance must have no SSH key pair.");

        var rootVolumeId = instance.GetProperty("BlockDeviceMappings").EnumerateArray()
            .Single(m => m.GetProperty("DeviceName").GetString() == instance.GetProperty("RootDeviceName").GetString())
            .GetProperty("Ebs").GetProperty("VolumeId").GetString()!;
        var volume = (await _aws.JsonAsync("ec2", "describe-volumes", "--volume-ids", rootVolumeId)).GetProperty("Volumes")[0];
        Assert.True(volume.GetProperty("Encrypted").GetBoolean(), $"Root volume not encrypted: {volume}");
    }

    async Task AssertUserDataIsABootScriptForThisStack(string instanceId, string bucket)
    {
        var attribute = await _aws.JsonAsync("ec2", "describe-instance-attribute", "--instance-id", instanceId, "--attribute", "userData");
        var script = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(attribute.GetProperty("UserData").GetProperty("Value").GetString()!));

        Assert.Contains($"Environment=\"S3_BUCKET={bucket}\"", script);
        Assert.Contains($"Environment=\"AWS_REGION={Region}\"", script);
        Assert.Contains("Environment=\"ASPNETCORE_URLS=http://0.0.0.0:8080\"", script);
        Assert.Contains("systemctl enable --now hybrid-ingest-server.service", script);

        var path = Path.Combine(workspace.Root, "user_data.sh");
        await File.WriteAllTextAsync(path, script);
        var syntax = await ExternalProcess.RunAsync("bash", ["-n", path], workingDirectory: workspace.Root, timeout: TimeSpan.FromMinutes(3));
        Assert.True(syntax.Succeeded, "user_data is not valid bash: " + syntax);
    }

    async Task AssertFunctionIsConfigured(string functionName, string functionGroup, JsonElement outputs)
    {
        var configuration = await _aws.JsonAsync("lambda", "get-function-configuration", "--function-name", functionName);

        Assert.Equal("provided.al2023", configuration.GetProperty("Runtime").GetString());
        Assert.Equal("bootstrap", configuration.GetProperty("Handler").GetString());
        Assert.Equal(30, configuration.GetProperty("Timeout").GetInt32());
        Assert.Equal(512, configuration.GetProperty("MemorySize").GetInt32());

        var vpc = configuration.GetProperty("VpcConfig");
        Assert.Equal(2, vpc.GetProperty("SubnetIds").GetArrayLength());
        Assert.Equal(functionGroup, Assert.Single(vpc.GetProperty("SecurityGroupIds").EnumerateArray()).GetString());

        var privateIp = outputs.GetProperty("server_private_ip").GetProperty("value").GetString();
        var serverUrl = configuration.GetProperty("Environment").GetProperty("Variables").GetProperty("SERVER_URL").GetString();
        Assert.Equal($"http://{privateIp}:8080", serverUrl);
        Assert.Equal(serverUrl, outputs.GetProperty("server_url").GetProperty("value").GetString());

        var logGroup = outputs.GetProperty("function_log_group_name").GetProperty("value").GetString()!;
        var groups = (await _aws.JsonAsync("logs", "describe-log-groups", "--log-group-name-prefix", logGroup)).GetProperty("logGroups");
        Assert.Equal(14, Assert.Single(groups.EnumerateArray()).GetProperty("retentionInDays").GetInt32());
    }

    async Task AssertRolesHaveInlinePoliciesOnly()
    {
        foreach (var role in new[] { "hybrid-ingest-server", "hybrid-ingest-function" })
        {
            var attached = await _aws.JsonAsync("iam", "list-attached-role-policies", "--role-name", role);
            Assert.Empty(attached.GetProperty("AttachedPolicies").EnumerateArray());
            var inline = await _aws.JsonAsync("iam", "list-role-policies", "--role-name", role);
            Assert.NotEmpty(inline.GetProperty("PolicyNames").EnumerateArray());
        }
    }

    async Task AssertNothingRemains(string bucket, string instanceId, string functionName, string vpcId, JsonElement outputs)
    {
        var state = await workspace.RunAsync(["state", "list", "-no-color"]);
        Assert.True(string.IsNullOrWhiteSpace(state.StandardOutput), "Terraform state still holds: " + state.StandardOutput);

        var buckets = (await _aws.JsonAsync("s3api", "list-buckets")).GetProperty("Buckets");
        Assert.DoesNotContain(buckets.EnumerateArray(), b => b.GetProperty("Name").GetString() == bucket);

        var instance = (await _aws.JsonAsync("ec2", "describe-instances", "--instance-ids", instanceId))
            .GetProperty("Reservations")[0].GetProperty("Instances")[0];
        Assert.Equal("terminated", instance.GetProperty("State").GetProperty("Name").GetString());

        var functions = (await _aws.JsonAsync("lambda", "list-functions")).GetProperty("Functions");
        Assert.DoesNotContain(functions.EnumerateArray(), f => f.GetProperty("FunctionName").GetString() == functionName);

        var roles = (await _aws.JsonAsync("iam", "list-roles")).GetProperty("Roles");
        Assert.DoesNotContain(roles.EnumerateArray(), r => r.GetProperty("RoleName").GetString()!.StartsWith("hybrid-ingest", StringComparison.Ordinal));
        var profiles = (await _aws.JsonAsync("iam", "list-instance-profiles")).GetProperty("InstanceProfiles");
        Assert.Empty(profiles.EnumerateArray());

        var vpcs = (await _aws.JsonAsync("ec2", "describe-vpcs")).GetProperty("Vpcs");
        Assert.DoesNotContain(vpcs.EnumerateArray(), v => v.GetProperty("VpcId").GetString() == vpcId);
        var groups = (await _aws.JsonAsync("ec2", "describe-security-groups")).GetProperty("SecurityGroups");
        Assert.DoesNotContain(groups.EnumerateArray(), g => g.GetProperty("GroupName").GetString()!.StartsWith("hybrid-ingest", StringComparison.Ordinal));

        foreach (var output in new[] { "function_log_group_name", "server_log_group_name" })
        {
            var name = outputs.GetProperty(output).GetProperty("value").GetString()!;
            var logGroups = (await _aws.JsonAsync("logs", "describe-log-groups", "--log-group-name-prefix", name)).GetProperty("logGroups");
            Assert.Empty(logGroups.EnumerateArray());
        }
    }
}
