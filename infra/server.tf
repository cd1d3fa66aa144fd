# The server tier: an Auto Scaling group of Amazon Linux 2023 instances (from the public SSM
# parameter; IMDSv2 only, encrypted root volume, no SSH, no key pair: Session Manager instead)
# across the private subnets of both AZs, behind the internal load balancer (balancer.tf). A new
# package or launch template rolls out by instance refresh: new instances first, old ones taken out
# of the load balancer (deregistration delay), then terminated (the server drains on SIGTERM).

data "aws_ssm_parameter" "al2023_ami" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${var.architecture}"
}

# The AMI's root device name, so that the encrypted gp3 volume below replaces the root volume.
data "aws_ami" "al2023" {
  owners = ["amazon"]

  filter {
    name   = "image-id"
    values = [nonsensitive(data.aws_ssm_parameter.al2023_ami.value)]
  }
}

data "aws_ec2_instance_type" "server" {
  instance_type = local.instance_type
}

locals {
  instance_type     = coalesce(var.instance_type, var.architecture == "arm64" ? "t4g.micro" : "t3.micro")
  server_group_name = "${var.name_prefix}-server"

  # The environment the systemd unit gives the server; the local mode reads it from the
  # server_environment output instead of restating it.
  server_environment = {
    S3_BUCKET       = aws_s3_bucket.images.id
    AWS_REGION      = var.region
    ASPNETCORE_URLS = "http://0.0.0.0:${var.server_port}"
  }

  # The function calls the load balancer: one address whatever the instances behind it.
  server_url = "http://${aws_lb.server.dns_name}:${var.server_port}"

  # On SIGTERM the server refuses new requests (503, /ready 503) for this long while those in
  # flight finish; systemd waits that plus the server's 15 s stop margin and 5 s of slack before
  # it kills. The load balancer's deregistration delay is the same time (balancer.tf). Set in the
  # unit only: the local mode's server stops at once.
  server_drain_seconds = 20

  # Requests one server works on at once (INGEST_MAX_CONCURRENT_REQUESTS, set in the unit): what
  # the function's reserved concurrency is sized from (function.tf, docs/scaling.md).
  server_max_concurrent_requests = 64
}

resource "aws_cloudwatch_log_group" "server" {
  name              = "/hybrid-ingest/${var.name_prefix}/server"
  retention_in_days = var.log_retention_days
}

resource "aws_iam_role" "server" {
  name        = "${var.name_prefix}-server"
  description = "HybridIngest server instance"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "server" {
  name = "server"
  role = aws_iam_role.server.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # One put per image (single or multipart; S3 checks its SHA-256 checksum) and the clean-up
        # of a store that failed half-way. No GetObject: the server never reads an image back.
        Sid      = "StoreImages"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
        Resource = "${aws_s3_bucket.images.arn}/${local.images_prefix}*"
      },
      {
        # At start and periodically the server aborts the multipart uploads under images/ that a
        # crashed server left open (AbortMultipartUpload is granted above).
        Sid      = "FindAbandonedUploads"
        Effect   = "Allow"
        Action   = "s3:ListBucketMultipartUploads"
        Resource = aws_s3_bucket.images.arn
      },
      {
        # Idempotent retries: a request_id is claimed with a conditional put (If-None-Match), its
        # answer written over the claim and read back by a retry; a failed request deletes its claim.
        Sid      = "RecordRequests"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
        Resource = "${aws_s3_bucket.images.arn}/${local.requests_prefix}*"
      },
      {
        # POST /test-process stores a generated 68-byte PNG here: one put, and its clean-up.
        Sid      = "StoreTestImages"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:DeleteObject"]
        Resource = "${aws_s3_bucket.images.arn}/${local.test_images_prefix}*"
      },
      {
        # HeadBucket, for the /ready check, is authorized as ListBucket on the bucket.
        Sid      = "CheckBucket"
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = aws_s3_bucket.images.arn
      },
      {
        Sid      = "ReadOwnArtifact"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = "${aws_s3_bucket.images.arn}/${local.server_artifact_key}"
      },
      {
        Sid      = "WriteServerLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
        Resource = "${aws_cloudwatch_log_group.server.arn}:*"
      },
    ]
  })
}

# Session Manager needs these five actions. UpdateInstanceInformation is limited to this
# account's and region's instances, and the ssmmessages actions, which support no resource ARN,
# to "*"; both only for credentials an instance of this stack's VPC was given
# (aws:Ec2InstanceSourceVpc is set on every request signed with instance role credentials, and
# only the server group launches instances there). The group's instances come and go, so no
# instance ARN can be named. Apart from the server's own policy: this is administration, not its work.
resource "aws_iam_role_policy" "server_session_manager" {
  name = "session-manager"
  role = aws_iam_role.server.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "RegisterWithSsm"
        Effect    = "Allow"
        Action    = "ssm:UpdateInstanceInformation"
        Resource  = "arn:${local.partition}:ec2:${var.region}:${local.account_id}:instance/*"
        Condition = { StringEquals = { "aws:Ec2InstanceSourceVpc" = aws_vpc.main.id } }
      },
      {
        Sid    = "SessionChannels"
        Effect = "Allow"
        Action = [
          "ssmmessages:CreateControlChannel",
          "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel",
          "ssmmessages:OpenDataChannel",
        ]
        Resource  = "*"
        Condition = { StringEquals = { "aws:Ec2InstanceSourceVpc" = aws_vpc.main.id } }
      },
    ]
  })
}

resource "aws_iam_instance_profile" "server" {
  name = "${var.name_prefix}-server"
  role = aws_iam_role.server.name
}

# Everything an instance is launched with. A change (a new package's hash in user_data, a new
# AL2023 release in the SSM parameter, another instance type) is a new version, which the group
# rolls out by instance refresh.
resource "aws_launch_template" "server" {
  name                   = "${var.name_prefix}-server"
  description            = "HybridIngest server"
  image_id               = data.aws_ami.al2023.id
  instance_type          = local.instance_type
  vpc_security_group_ids = [aws_security_group.server.id]
  update_default_version = true

  iam_instance_profile {
    arn = aws_iam_instance_profile.server.arn
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  # 8 GiB is the AMI's own size; the server keeps nothing on disk but its package.
  block_device_mappings {
    device_name = data.aws_ami.al2023.root_device_name

    ebs {
      encrypted             = true
      volume_type           = "gp3"
      volume_size           = 8
      delete_on_termination = true
    }
  }

  user_data = base64encode(templatefile("${path.module}/templates/user_data.sh.tftpl", {
    region          = var.region
    bucket          = aws_s3_bucket.images.id
    artifact_key    = aws_s3_object.server_artifact.key
    artifact_sha256 = filesha256(var.server_artifact_path)
    log_group       = aws_cloudwatch_log_group.server.name
    unit = templatefile("${path.module}/templates/hybrid-ingest-server.service.tftpl", {
      environment             = local.server_environment
      drain_seconds           = local.server_drain_seconds
      timeout_stop_sec        = local.server_drain_seconds + 20
      max_concurrent_requests = local.server_max_concurrent_requests
    })
  }))

  # The provider's default tags reach the template, not what it launches.
  dynamic "tag_specifications" {
    for_each = ["instance", "volume"]

    content {
      resource_type = tag_specifications.value
      tags          = merge(var.tags, { Name = "${var.name_prefix}-server" })
    }
  }

  lifecycle {
    precondition {
      condition     = contains(data.aws_ec2_instance_type.server.supported_architectures, var.architecture)
      error_message = "instance_type ${local.instance_type} does not run ${var.architecture}: pick one that does (e.g. t3.micro for x86_64, t4g.micro for arm64), or leave instance_type null."
    }
  }
}

resource "aws_autoscaling_group" "server" {
  name                = local.server_group_name
  min_size            = var.server_min
  max_size            = var.server_max
  desired_capacity    = var.server_desired
  vpc_zone_identifier = aws_subnet.private[*].id
  target_group_arns   = [aws_lb_target_group.server.arn]

  # The load balancer's GET /ready decides: an instance that fails it is replaced, after the boot
  # (package fetch, service start) has had its grace period.
  health_check_type         = "ELB"
  health_check_grace_period = 300
  default_instance_warmup   = 60

  launch_template {
    id      = aws_launch_template.server.id
    version = aws_launch_template.server.latest_version
  }

  # Replacing an unhealthy instance launches its successor first, so capacity never dips (an S3
  # outage turns /ready 503 everywhere, and the group then replaces instances: docs/scaling.md).
  instance_maintenance_policy {
    min_healthy_percentage = 100
    max_healthy_percentage = 200
  }

  # A new launch template version (the provider starts the refresh when it changes) is rolled out
  # with no loss of capacity: new instances launch and pass /ready before old ones are taken out.
  instance_refresh {
    strategy = "Rolling"

    preferences {
      min_healthy_percentage = 100
      max_healthy_percentage = 200
      skip_matching          = true
    }
  }

  # Creating the group waits until server_min instances pass the load balancer's GET /ready, so
  # the stack is usable when the first apply returns.
  min_elb_capacity          = var.server_min
  wait_for_capacity_timeout = "10m"

  tag {
    key                 = "Name"
    value               = "${var.name_prefix}-server"
    propagate_at_launch = true
  }

  lifecycle {
    # Target tracking moves the desired capacity between server_min and server_max; an apply must
    # not put it back. server_desired is the size the group starts with.
    ignore_changes = [desired_capacity]

    # A check on the three together (a variable's validation may name only itself in Terraform 1.8).
    precondition {
      condition     = var.server_min <= var.server_desired && var.server_desired <= var.server_max
      error_message = "The server group needs server_min <= server_desired <= server_max (got ${var.server_min}, ${var.server_desired}, ${var.server_max})."
    }
  }

  # The instances fetch their package, reach the internet and write logs as soon as they boot.
  depends_on = [aws_iam_role_policy.server, aws_vpc_endpoint.s3, aws_route.private_nat]
}

# Target tracking on the load balancer's requests per instance (why not CPU: docs/scaling.md).
resource "aws_autoscaling_policy" "server_requests" {
  name                   = "requests-per-server"
  autoscaling_group_name = aws_autoscaling_group.server.name
  policy_type            = "TargetTrackingScaling"

  target_tracking_configuration {
    target_value = var.server_target_requests_per_minute

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${aws_lb.server.arn_suffix}/${aws_lb_target_group.server.arn_suffix}"
    }
  }
}

# The group's instances as Terraform last read them (after apply: at least server_min, InService),
# for the instance outputs; the group replaces instances, so they are a snapshot.
data "aws_instances" "server" {
  instance_tags        = { "aws:autoscaling:groupName" = aws_autoscaling_group.server.name }
  instance_state_names = ["pending", "running"]
}
