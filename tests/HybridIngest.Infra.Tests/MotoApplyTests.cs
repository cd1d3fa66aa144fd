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
    // A guard, not a measure: an apply that hangs fails here instead of holding the suite (a loaded
    // 2-core machine has taken over 4 minutes: docs/performance.md).
    static readonly TimeSpan ApplyTimeout = TimeSpan.FromMinutes(8);

    MotoProcess _moto = null!;
    AwsCli _aws = null!;

    public async ValueTask InitializeAsync()
    {
        _moto = await MotoProcess.StartAsync();
        _aws = new AwsCli(_moto, Region, workspace.Root);
    }

    public async ValueTask DisposeAsync() => await _moto.DisposeAsync();

    [Fact]
    public async Task AppliesTheSecureStackToMotoAndDestroysAllOfIt()
    {
        string[] variables =
        [
            "-var", $"aws_endpoint_url={_moto.Endpoint.ToString().TrimEnd('/')}",
            "-var", $"region={Region}",
            "-var", $"server_artifact_path={workspace.CreateDummyArtifact("server.zip", "HybridIngest.Server")}",
            "-var", $"lambda_artifact_path={workspace.CreateDummyArtifact("lambda.zip", "bootstrap")}",
            "-var", "alarm_email=ops@example.com",
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
        var (serverGroup, functionGroup, vpcId) = await AssertOnlyTheFunctionReachesTheServers();
        var template = await AssertLaunchTemplateIsHardened(serverGroup);
        await AssertUserDataIsABootScriptForThisStack(template, bucket);
        var balancerDns = await AssertServerGroupRunsBehindTheBalancer(instanceId, outputs);
        await AssertFunctionIsConfigured(functionName, functionGroup, balancerDns, outputs);
        await AssertRolesHaveInlinePoliciesOnly();
        await AssertDashboardAndAlarmsNotifyTheTopic();

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

    /// <summary>Function -> balancer -> servers, each link a security-group reference on the server port.</summary>
    async Task<(string Server, string Function, string VpcId)> AssertOnlyTheFunctionReachesTheServers()
    {
        var groups = (await _aws.JsonAsync("ec2", "describe-security-groups", "--filters",
                "Name=group-name,Values=hybrid-ingest-server,hybrid-ingest-balancer,hybrid-ingest-function"))
            .GetProperty("SecurityGroups").EnumerateArray().ToDictionary(g => g.GetProperty("GroupName").GetString()!);
        var server = groups["hybrid-ingest-server"];
        var balancer = groups["hybrid-ingest-balancer"];
        var function = groups["hybrid-ingest-function"];
        string Id(JsonElement group) => group.GetProperty("GroupId").GetString()!;

        AssertOnlyLink(server.GetProperty("IpPermissions"), Id(balancer));
        AssertOnlyLink(balancer.GetProperty("IpPermissions"), Id(function));
        AssertOnlyLink(balancer.GetProperty("IpPermissionsEgress"), Id(server));
        AssertOnlyLink(function.GetProperty("IpPermissionsEgress"), Id(balancer));
        Assert.Empty(function.GetProperty("IpPermissions").EnumerateArray());

        var serverEgressPorts = server.GetProperty("IpPermissionsEgress").EnumerateArray()
            .Select(p => p.GetProperty("FromPort").GetInt32()).Order();
        Assert.Equal([80, 443], serverEgressPorts);

        var vpcId = server.GetProperty("VpcId").GetString()!;
        var vpcGroups = (await _aws.JsonAsync("ec2", "describe-security-groups", "--filters", $"Name=vpc-id,Values={vpcId}"))
            .GetProperty("SecurityGroups").EnumerateArray().ToList();
        var everyIngressRange = vpcGroups
            .SelectMany(g => g.GetProperty("IpPermissions").EnumerateArray())
            .SelectMany(p => p.GetProperty("IpRanges").EnumerateArray());
        Assert.Empty(everyIngressRange);
        var defaultGroup = vpcGroups.Single(g => g.GetProperty("GroupName").GetString() == "default");
        Assert.Empty(defaultGroup.GetProperty("IpPermissions").EnumerateArray());
        Assert.Empty(defaultGroup.GetProperty("IpPermissionsEgress").EnumerateArray());

        return (Id(server), Id(function), vpcId);
    }

    static void AssertOnlyLink(JsonElement permissions, string fromOrToGroup)
    {
        var permission = Assert.Single(permissions.EnumerateArray());
        Assert.Equal("tcp", permission.GetProperty("IpProtocol").GetString());
        Assert.Equal(8080, permission.GetProperty("FromPort").GetInt32());
        Assert.Equal(8080, permission.GetProperty("ToPort").GetInt32());
        Assert.Empty(permission.GetProperty("IpRanges").EnumerateArray());
        Assert.Equal(fromOrToGroup, Assert.Single(permission.GetProperty("UserIdGroupPairs").EnumerateArray()).GetProperty("GroupId").GetString());
    }

    /// <summary>
    /// What every instance is launched with, read from the template: moto launches the group's
    /// instances without the template's metadata options and profile, AWS with them.
    /// </summary>
    async Task<JsonElement> AssertLaunchTemplateIsHardened(string serverGroup)
    {
        var template = (await _aws.JsonAsync("ec2", "describe-launch-template-versions",
                "--launch-template-name", "hybrid-ingest-server", "--versions", "$Latest"))
            .GetProperty("LaunchTemplateVersions")[0].GetProperty("LaunchTemplateData");

        var metadata = template.GetProperty("MetadataOptions");
        Assert.Equal("required", metadata.GetProperty("HttpTokens").GetString());
        Assert.Equal(1, metadata.GetProperty("HttpPutResponseHopLimit").GetInt32());
        Assert.Equal("enabled", metadata.GetProperty("HttpEndpoint").GetString());

        Assert.EndsWith(":instance-profile/hybrid-ingest-server", template.GetProperty("IamInstanceProfile").GetProperty("Arn").GetString());
        Assert.Equal(serverGroup, Assert.Single(template.GetProperty("SecurityGroupIds").EnumerateArray()).GetString());
        Assert.False(template.TryGetProperty("KeyName", out _), "The instances must have no SSH key pair.");

        var root = Assert.Single(template.GetProperty("BlockDeviceMappings").EnumerateArray()).GetProperty("Ebs");
        Assert.True(root.GetProperty("Encrypted").GetBoolean(), $"Root volume not encrypted: {root}");
        Assert.Equal("gp3", root.GetProperty("VolumeType").GetString());
        return template;
    }

    async Task AssertUserDataIsABootScriptForThisStack(JsonElement template, string bucket)
    {
        var script = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(template.GetProperty("UserData").GetString()!));

        Assert.Contains($"Environment=\"S3_BUCKET={bucket}\"", script);
        Assert.Contains($"Environment=\"AWS_REGION={Region}\"", script);
        Assert.Contains("Environment=\"ASPNETCORE_URLS=http://0.0.0.0:8080\"", script);
        Assert.Contains("systemctl enable --now hybrid-ingest-server.service", script);

        var path = Path.Combine(workspace.Root, "user_data.sh");
        await File.WriteAllTextAsync(path, script);
        var syntax = await ExternalProcess.RunAsync("bash", ["-n", path], workingDirectory: workspace.Root, timeout: TimeSpan.FromMinutes(3));
        Assert.True(syntax.Succeeded, "user_data is not valid bash: " + syntax);
    }

    /// <summary>The group across two AZs, its instance healthy behind the internal balancer; returns the balancer's DNS name.</summary>
    async Task<string> AssertServerGroupRunsBehindTheBalancer(string instanceId, JsonElement outputs)
    {
        var group = (await _aws.JsonAsync("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names",
                outputs.GetProperty("server_group_name").GetProperty("value").GetString()!))
            .GetProperty("AutoScalingGroups")[0];
        Assert.Equal(2, group.GetProperty("AvailabilityZones").EnumerateArray().Distinct().Count());
        Assert.Equal(2, group.GetProperty("VPCZoneIdentifier").GetString()!.Split(',').Length);
        Assert.Equal("ELB", group.GetProperty("HealthCheckType").GetString());
        Assert.Equal((1, 2, 1), (group.GetProperty("MinSize").GetInt32(), group.GetProperty("MaxSize").GetInt32(), group.GetProperty("DesiredCapacity").GetInt32()));
        var instance = Assert.Single(group.GetProperty("Instances").EnumerateArray());
        Assert.Equal(instanceId, instance.GetProperty("InstanceId").GetString());
        Assert.Equal("InService", instance.GetProperty("LifecycleState").GetString());

        var targetGroupArn = Assert.Single(group.GetProperty("TargetGroupARNs").EnumerateArray()).GetString()!;
        var targetGroup = (await _aws.JsonAsync("elbv2", "describe-target-groups", "--target-group-arns", targetGroupArn))
            .GetProperty("TargetGroups")[0];
        Assert.Equal("/ready", targetGroup.GetProperty("HealthCheckPath").GetString());
        Assert.Equal(8080, targetGroup.GetProperty("Port").GetInt32());
        var health = Assert.Single((await _aws.JsonAsync("elbv2", "describe-target-health", "--target-group-arn", targetGroupArn))
            .GetProperty("TargetHealthDescriptions").EnumerateArray());
        Assert.Equal(instanceId, health.GetProperty("Target").GetProperty("Id").GetString());
        Assert.Equal("20", await AttributeAsync("describe-target-group-attributes", "--target-group-arn", targetGroupArn, "deregistration_delay.timeout_seconds"));

        var balancerArn = Assert.Single(targetGroup.GetProperty("LoadBalancerArns").EnumerateArray()).GetString()!;
        var balancer = (await _aws.JsonAsync("elbv2", "describe-load-balancers", "--load-balancer-arns", balancerArn)).GetProperty("LoadBalancers")[0];
        Assert.Equal("internal", balancer.GetProperty("Scheme").GetString());
        Assert.Equal("90", await AttributeAsync("describe-load-balancer-attributes", "--load-balancer-arn", balancerArn, "idle_timeout.timeout_seconds"));
        var listener = Assert.Single((await _aws.JsonAsync("elbv2", "describe-listeners", "--load-balancer-arn", balancerArn))
            .GetProperty("Listeners").EnumerateArray());
        Assert.Equal(8080, listener.GetProperty("Port").GetInt32());

        var policy = Assert.Single((await _aws.JsonAsync("autoscaling", "describe-policies", "--auto-scaling-group-name", group.GetProperty("AutoScalingGroupName").GetString()!))
            .GetProperty("ScalingPolicies").EnumerateArray());
        Assert.Equal("ALBRequestCountPerTarget", policy.GetProperty("TargetTrackingConfiguration")
            .GetProperty("PredefinedMetricSpecification").GetProperty("PredefinedMetricType").GetString());
        return balancer.GetProperty("DNSName").GetString()!;
    }

    async Task<string?> AttributeAsync(string command, string arnOption, string arn, string key) =>
        (await _aws.JsonAsync("elbv2", command, arnOption, arn)).GetProperty("Attributes").EnumerateArray()
            .Single(a => a.GetProperty("Key").GetString() == key).GetProperty("Value").GetString();

    async Task AssertFunctionIsConfigured(string functionName, string functionGroup, string balancerDns, JsonElement outputs)
    {
        var configuration = await _aws.JsonAsync("lambda", "get-function-configuration", "--function-name", functionName);

        Assert.Equal("provided.al2023", configuration.GetProperty("Runtime").GetString());
        Assert.Equal("bootstrap", configuration.GetProperty("Handler").GetString());
        Assert.Equal(30, configuration.GetProperty("Timeout").GetInt32());
        Assert.Equal(512, configuration.GetProperty("MemorySize").GetInt32());

        var vpc = configuration.GetProperty("VpcConfig");
        Assert.Equal(2, vpc.GetProperty("SubnetIds").GetArrayLength());
        Assert.Equal(functionGroup, Assert.Single(vpc.GetProperty("SecurityGroupIds").EnumerateArray()).GetString());

        var serverUrl = configuration.GetProperty("Environment").GetProperty("Variables").GetProperty("SERVER_URL").GetString();
        Assert.Equal($"http://{balancerDns}:8080", serverUrl);
        Assert.Equal(serverUrl, outputs.GetProperty("server_url").GetProperty("value").GetString());

        var concurrency = await _aws.JsonAsync("lambda", "get-function-concurrency", "--function-name", functionName);
        Assert.Equal(128, concurrency.GetProperty("ReservedConcurrentExecutions").GetInt32());

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

    async Task AssertDashboardAndAlarmsNotifyTheTopic()
    {
        var dashboard = await _aws.JsonAsync("cloudwatch", "get-dashboard", "--dashboard-name", "hybrid-ingest");
        Assert.Contains("lambda_ec2_call_time_ms", dashboard.GetProperty("DashboardBody").GetString(), StringComparison.Ordinal);

        var topic = Assert.Single((await _aws.JsonAsync("sns", "list-topics")).GetProperty("Topics").EnumerateArray())
            .GetProperty("TopicArn").GetString()!;
        Assert.EndsWith(":hybrid-ingest-alarms", topic, StringComparison.Ordinal);
        var subscription = Assert.Single((await _aws.JsonAsync("sns", "list-subscriptions-by-topic", "--topic-arn", topic))
            .GetProperty("Subscriptions").EnumerateArray());
        Assert.Equal(("email", "ops@example.com"), (subscription.GetProperty("Protocol").GetString(), subscription.GetProperty("Endpoint").GetString()));

        var alarms = (await _aws.JsonAsync("cloudwatch", "describe-alarms", "--alarm-name-prefix", "hybrid-ingest-"))
            .GetProperty("MetricAlarms").EnumerateArray().ToList();
        Assert.Equal(["hybrid-ingest-error-rate", "hybrid-ingest-lambda-throttles", "hybrid-ingest-latency-p99", "hybrid-ingest-no-healthy-server", "hybrid-ingest-overloaded"],
            alarms.Select(a => a.GetProperty("AlarmName").GetString()).Order());
        Assert.All(alarms, a => Assert.Equal(topic, Assert.Single(a.GetProperty("AlarmActions").EnumerateArray()).GetString()));
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

        Assert.Empty((await _aws.JsonAsync("autoscaling", "describe-auto-scaling-groups")).GetProperty("AutoScalingGroups").EnumerateArray());
        Assert.Empty((await _aws.JsonAsync("ec2", "describe-launch-templates")).GetProperty("LaunchTemplates").EnumerateArray());
        Assert.Empty((await _aws.JsonAsync("elbv2", "describe-load-balancers")).GetProperty("LoadBalancers").EnumerateArray());
        Assert.Empty((await _aws.JsonAsync("elbv2", "describe-target-groups")).GetProperty("TargetGroups").EnumerateArray());
        var natGateways = (await _aws.JsonAsync("ec2", "describe-nat-gateways")).GetProperty("NatGateways");
        Assert.All(natGateways.EnumerateArray(), n => Assert.Equal("deleted", n.GetProperty("State").GetString()));
        Assert.Empty((await _aws.JsonAsync("ec2", "describe-addresses")).GetProperty("Addresses").EnumerateArray());

        var vpcs = (await _aws.JsonAsync("ec2", "describe-vpcs")).GetProperty("Vpcs");
        Assert.DoesNotContain(vpcs.EnumerateArray(), v => v.GetProperty("VpcId").GetString() == vpcId);
        var groups = (await _aws.JsonAsync("ec2", "describe-security-groups")).GetProperty("SecurityGroups");
        Assert.DoesNotContain(groups.EnumerateArray(), g => g.GetProperty("GroupName").GetString()!.StartsWith("hybrid-ingest", StringComparison.Ordinal));

        Assert.Empty((await _aws.JsonAsync("cloudwatch", "list-dashboards")).GetProperty("DashboardEntries").EnumerateArray());
        Assert.Empty((await _aws.JsonAsync("cloudwatch", "describe-alarms")).GetProperty("MetricAlarms").EnumerateArray());
        Assert.Empty((await _aws.JsonAsync("sns", "list-topics")).GetProperty("Topics").EnumerateArray());

        foreach (var output in new[] { "function_log_group_name", "server_log_group_name" })
        {
            var name = outputs.GetProperty(output).GetProperty("value").GetString()!;
            var logGroups = (await _aws.JsonAsync("logs", "describe-log-groups", "--log-group-name-prefix", name)).GetProperty("logGroups");
            Assert.Empty(logGroups.EnumerateArray());
        }
    }
}
