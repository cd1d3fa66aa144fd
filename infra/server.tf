# The server: Amazon Linux 2023 from the public SSM parameter, IMDSv2 only, encrypted root volume,
# reachable only from the function, administered through SSM Session Manager (no SSH, no key pair).

data "aws_ssm_parameter" "al2023_ami" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${var.architecture}"
}

data "aws_ec2_instance_type" "server" {
  instance_type = local.instance_type
}

locals {
  instance_type = coalesce(var.instance_type, var.architecture == "arm64" ? "t4g.micro" : "t3.micro")

  # The environment the systemd unit gives the server; the local mode reads it from the
  # server_environment output instead of restating it.
  server_environment = {
    S3_BUCKET       = aws_s3_bucket.images.id
    AWS_REGION      = var.region
    ASPNETCORE_URLS = "http://0.0.0.0:${var.server_port}"
  }

  server_url = "http://${aws_instance.server.private_ip}:${var.server_port}"

  # On SIGTERM the server refuses new requests (503, /ready 503) for this long while those in
  # flight finish; systemd waits that plus the server's 15 s stop margin and 5 s of slack before
  # it kills. Set in the unit only: the local mode's server stops at once.
  server_drain_seconds = 20
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

# Session Manager needs these five actions. UpdateInstanceInformation is scoped to this instance;
# the ssmmessages actions support no resource ARN, so they are pinned to this instance with the
# ec2:SourceInstanceARN condition key (set on every request signed with its role credentials).
# A separate policy because it names the instance, which needs the role's instance profile first.
resource "aws_iam_role_policy" "server_session_manager" {
  name = "session-manager"
  role = aws_iam_role.server.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "RegisterWithSsm"
        Effect   = "Allow"
        Action   = "ssm:UpdateInstanceInformation"
        Resource = aws_instance.server.arn
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
        Condition = { ArnEquals = { "ec2:SourceInstanceARN" = aws_instance.server.arn } }
      },
    ]
  })
}

resource "aws_iam_instance_profile" "server" {
  name = "${var.name_prefix}-server"
  role = aws_iam_role.server.name
}

resource "aws_instance" "server" {
  ami                    = nonsensitive(data.aws_ssm_parameter.al2023_ami.value)
  instance_type          = local.instance_type
  subnet_id              = var.enable_nat_gateway ? aws_subnet.private[0].id : aws_subnet.public[0].id
  vpc_security_group_ids = [aws_security_group.server.id]
  iam_instance_profile   = aws_iam_instance_profile.server.name

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  # 8 GiB is the AMI's own size; the server keeps nothing on disk but its package.
  root_block_device {
    encrypted   = true
    volume_type = "gp3"
    volume_size = 8
  }

  user_data = templatefile("${path.module}/templates/user_data.sh.tftpl", {
    region          = var.region
    bucket          = aws_s3_bucket.images.id
    artifact_key    = aws_s3_object.server_artifact.key
    artifact_sha256 = filesha256(var.server_artifact_path)
    log_group       = aws_cloudwatch_log_group.server.name
    unit = templatefile("${path.module}/templates/hybrid-ingest-server.service.tftpl", {
      environment      = local.server_environment
      drain_seconds    = local.server_drain_seconds
      timeout_stop_sec = local.server_drain_seconds + 20
    })
  })
  # The artifact's hash is in user_data, so a new package replaces the instance.
  user_data_replace_on_change = true

  tags = { Name = "${var.name_prefix}-server" }

  lifecycle {
    # The SSM parameter moves to each new AL2023 release; following it would replace the server on
    # an unrelated apply. A new package replaces the instance (and picks up the latest AMI), and
    # `terraform apply -replace=aws_instance.server` does so on demand.
    ignore_changes = [ami]

    precondition {
      condition     = contains(data.aws_ec2_instance_type.server.supported_architectures, var.architecture)
      error_message = "instance_type ${local.instance_type} does not run ${var.architecture}: pick one that does (e.g. t3.micro for x86_64, t4g.micro for arm64), or leave instance_type null."
    }
  }

  # The instance fetches its artifact and writes logs as soon as it boots.
  depends_on = [aws_iam_role_policy.server, aws_vpc_endpoint.s3, aws_route.public_internet, aws_route.private_nat]
}
