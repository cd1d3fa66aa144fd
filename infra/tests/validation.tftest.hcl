# Each validation rule rejects bad input at plan time, before anything is created.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  server_artifact_path = "tests/fixtures/server.zip"
  lambda_artifact_path = "tests/fixtures/lambda.zip"
}

# The rules on single settings, one bad value each: every one must fail on its own variable
# (expect_failures fails the run if any listed rule lets its value through). One run, not eleven:
# each run starts the provider again, which is most of this file's time.
run "rejects_a_bad_value_of_each_single_setting" {
  command = plan
  variables {
    region              = "US_EAST_1"
    name_prefix         = "Hybrid"
    instance_type       = "micro"
    server_port         = 80
    lambda_memory_mb    = 64
    lambda_timeout_s    = 901
    log_retention_days  = 10
    image_expiry_days   = 0
    request_record_days = 0
    aws_endpoint_url    = "http://127.0.0.1:5000/s3"
    tags                = { "aws:owner" = "me" }
  }
  expect_failures = [
    var.region,
    var.name_prefix,
    var.instance_type,
    var.server_port,
    var.lambda_memory_mb,
    var.lambda_timeout_s,
    var.log_retention_days,
    var.image_expiry_days,
    var.request_record_days,
    var.aws_endpoint_url,
    var.tags,
  ]
}

run "rejects_unknown_architecture" {
  command = plan
  variables { architecture = "amd64" }
  expect_failures = [var.architecture]
}

run "rejects_instance_type_of_the_other_architecture" {
  command = plan
  variables {
    architecture  = "arm64"
    instance_type = "t3.micro"
  }
  override_data {
    target = data.aws_ec2_instance_type.server
    values = { supported_architectures = ["x86_64"] }
  }
  expect_failures = [aws_launch_template.server]
}

# One run per group of independent rules (each validation fails on its own variable), to keep the
# suite's run count, and so its time, down.
run "rejects_bad_server_group_sizes" {
  command = plan
  variables {
    server_min     = 0
    server_max     = 2.5
    server_desired = 101
  }
  expect_failures = [var.server_min, var.server_max, var.server_desired]
}

run "rejects_server_desired_outside_min_and_max" {
  command = plan
  variables {
    server_desired = 3
    server_max     = 2
  }
  expect_failures = [aws_autoscaling_group.server]
}

run "rejects_zero_scaling_target_and_zero_reserved_concurrency" {
  command = plan
  variables {
    server_target_requests_per_minute = 0
    lambda_reserved_concurrency       = 0
  }
  expect_failures = [var.server_target_requests_per_minute, var.lambda_reserved_concurrency]
}

run "rejects_fractional_request_record_days" {
  command = plan
  variables { request_record_days = 1.5 }
  expect_failures = [var.request_record_days]
}

