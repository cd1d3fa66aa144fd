# How variables shape the deployed configuration: SERVER_URL, the server's environment, the
# function's settings, architecture, bucket options and the emulator mode.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  server_artifact_path = "tests/fixtures/server.zip"
  lambda_artifact_path = "tests/fixtures/lambda.zip"
}

run "server_url_is_the_load_balancer_on_the_server_port" {
  variables {
    server_port = 9000
  }
  assert {
    condition     = aws_lambda_function.ingest.environment[0].variables["SERVER_URL"] == "http://${aws_lb.server.dns_name}:9000"
    error_message = "SERVER_URL must be http://<load balancer DNS name>:<server_port>: stable across deploys and scaling."
  }
  assert {
    condition     = aws_lambda_function.ingest.environment[0].variables["SERVER_URL"] == "http://internal-hybrid-ingest-server-123456789.us-east-1.elb.amazonaws.com:9000"
    error_message = "SERVER_URL must name the load balancer, not an instance."
  }
  assert {
    condition     = output.server_url == aws_lambda_function.ingest.environment[0].variables["SERVER_URL"] && output.function_environment == tomap({ SERVER_URL = output.server_url })
    error_message = "The outputs must report the function's SERVER_URL."
  }
  assert {
    condition     = aws_lb_listener.server.port == 9000 && aws_lb_listener.server.protocol == "HTTP" && aws_lb_target_group.server.port == 9000
    error_message = "The load balancer must listen on, and forward to, server_port."
  }
  assert {
    condition = alltrue([
      for rule in [
        aws_vpc_security_group_egress_rule.function_to_balancer,
        aws_vpc_security_group_ingress_rule.balancer_from_function,
        aws_vpc_security_group_egress_rule.balancer_to_server,
        aws_vpc_security_group_ingress_rule.server_from_balancer,
      ] : rule.from_port == 9000 && rule.to_port == 9000
    ])
    error_message = "The security-group rules must follow server_port."
  }
  assert {
    condition = output.server_environment == {
      S3_BUCKET       = "hybrid-ingest-123456789012-us-east-1"
      AWS_REGION      = "us-east-1"
      ASPNETCORE_URLS = "http://0.0.0.0:9000"
    }
    error_message = "The server's environment must name the bucket, the region and the listen port."
  }
}

run "user_data_installs_the_verified_artifact_as_a_service" {
  assert {
    condition = alltrue([
      strcontains(base64decode(aws_launch_template.server.user_data), "--bucket \"hybrid-ingest-123456789012-us-east-1\" --key \"artifacts/server.zip\""),
      strcontains(base64decode(aws_launch_template.server.user_data), filesha256("tests/fixtures/server.zip")),
      strcontains(base64decode(aws_launch_template.server.user_data), "Environment=\"S3_BUCKET=hybrid-ingest-123456789012-us-east-1\""),
      strcontains(base64decode(aws_launch_template.server.user_data), "Environment=\"AWS_REGION=us-east-1\""),
      strcontains(base64decode(aws_launch_template.server.user_data), "Environment=\"ASPNETCORE_URLS=http://0.0.0.0:8080\""),
      strcontains(base64decode(aws_launch_template.server.user_data), "systemctl enable --now hybrid-ingest-server.service"),
    ])
    error_message = "user_data must fetch and verify the artifact, install the unit with the server's environment, enable and start it."
  }
  assert {
    condition = alltrue([
      strcontains(base64decode(aws_launch_template.server.user_data), "Environment=\"INGEST_DRAIN_SECONDS=20\""),
      strcontains(base64decode(aws_launch_template.server.user_data), "Environment=\"INGEST_MAX_CONCURRENT_REQUESTS=64\""),
      strcontains(base64decode(aws_launch_template.server.user_data), "TimeoutStopSec=40"),
      strcontains(base64decode(aws_launch_template.server.user_data), "OnCalendar=hourly"),
      strcontains(base64decode(aws_launch_template.server.user_data), "maxsize 100M"),
    ])
    error_message = "The unit must drain for 20 s with a stop timeout covering it, take 64 requests at once, and logrotate must bound the server log hourly."
  }
  assert {
    condition     = aws_s3_object.server_artifact.bucket == aws_s3_bucket.images.id && aws_s3_object.server_artifact.key == "artifacts/server.zip" && aws_s3_object.server_artifact.source_hash == filemd5("tests/fixtures/server.zip")
    error_message = "Terraform must upload the server artifact from server_artifact_path."
  }
}

run "function_defaults" {
  assert {
    condition = (
      aws_lambda_function.ingest.runtime == "provided.al2023"
      && aws_lambda_function.ingest.handler == "bootstrap"
      && aws_lambda_function.ingest.architectures == tolist(["x86_64"])
      && aws_lambda_function.ingest.memory_size == 512
      && aws_lambda_function.ingest.timeout == 30
      && aws_lambda_function.ingest.source_code_hash == filebase64sha256("tests/fixtures/lambda.zip")
    )
    error_message = "The function must be provided.al2023/bootstrap, x86_64, 512 MB, 30 s, with the artifact's hash."
  }
  assert {
    condition     = aws_cloudwatch_log_group.function.name == "/aws/lambda/${aws_lambda_function.ingest.function_name}" && aws_cloudwatch_log_group.function.retention_in_days == 14
    error_message = "The function's log group must be the one Lambda writes to, with retention."
  }
  assert {
    condition     = output.function_timeout_s == 30 && output.function_memory_mb == 512 && output.function_name == "hybrid-ingest-function"
    error_message = "The outputs must report the function's settings."
  }
  assert {
    condition     = aws_cloudwatch_log_group.server.retention_in_days == 14 && output.server_log_group_name == aws_cloudwatch_log_group.server.name
    error_message = "The server's log group must have retention and be reported."
  }
}

run "arm64_uses_graviton_for_both" {
  variables {
    architecture = "arm64"
  }
  assert {
    condition     = aws_launch_template.server.instance_type == "t4g.micro" && data.aws_ssm_parameter.al2023_ami.name == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
    error_message = "arm64 must pick a Graviton instance type and the arm64 AMI."
  }
  assert {
    condition     = aws_lambda_function.ingest.architectures == tolist(["arm64"])
    error_message = "arm64 must set the function's architecture."
  }
}

run "explicit_instance_type_wins" {
  variables {
    instance_type = "c7i.large"
  }
  assert {
    condition     = aws_launch_template.server.instance_type == "c7i.large"
    error_message = "An explicit instance_type must be used."
  }
}

run "bucket_defaults_destroy_cleanly_and_keep_images" {
  assert {
    condition     = aws_s3_bucket.images.force_destroy && aws_s3_bucket.images.bucket == "hybrid-ingest-123456789012-us-east-1"
    error_message = "The bucket must be named from prefix, account and region, and be destroyable with its objects."
  }
  assert {
    condition     = aws_s3_bucket_versioning.images.versioning_configuration[0].status == "Suspended" && length(aws_s3_bucket_lifecycle_configuration.images.rule) == 2
    error_message = "By default: no versioning and no image expiry (only the multipart and request-record rules)."
  }
  assert {
    condition = anytrue([
      for rule in aws_s3_bucket_lifecycle_configuration.images.rule :
      rule.status == "Enabled" && try(rule.filter[0].prefix == "requests/" && rule.expiration[0].days == 1, false)
    ])
    error_message = "The server's request records (requests/*) must expire after the 1-day idempotency window."
  }
}

run "request_record_window_follows_the_variable" {
  variables {
    request_record_days = 7
  }
  assert {
    condition = anytrue([
      for rule in aws_s3_bucket_lifecycle_configuration.images.rule :
      rule.status == "Enabled" && try(rule.filter[0].prefix == "requests/" && rule.expiration[0].days == 7, false)
    ])
    error_message = "request_record_days must set the expiry of requests/*."
  }
}

run "versioning_and_image_expiry_when_asked" {
  variables {
    bucket_versioning = true
    image_expiry_days = 30
    force_destroy     = false
  }
  assert {
    condition     = aws_s3_bucket_versioning.images.versioning_configuration[0].status == "Enabled"
    error_message = "bucket_versioning must enable versioning."
  }
  assert {
    condition = anytrue([
      for rule in aws_s3_bucket_lifecycle_configuration.images.rule :
      rule.status == "Enabled" && try(rule.filter[0].prefix == "images/" && rule.expiration[0].days == 30, false)
    ])
    error_message = "image_expiry_days must expire images/* (and only images) after that many days."
  }
  assert {
    condition     = !aws_s3_bucket.images.force_destroy
    error_message = "force_destroy = false must protect a non-empty bucket."
  }
}

run "emulator_mode_leaves_out_the_tls_only_policy" {
  variables {
    aws_endpoint_url = "http://127.0.0.1:5000"
  }
  assert {
    condition     = length(aws_s3_bucket_policy.images) == 0
    error_message = "moto reads the TLS-only deny as deny-all, so emulator mode must not attach it."
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.images.block_public_policy && aws_launch_template.server.metadata_options[0].http_tokens == "required"
    error_message = "Everything else is the same in emulator mode."
  }
}
