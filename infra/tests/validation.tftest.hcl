# Each validation rule rejects bad input at plan time, before anything is created.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  server_artifact_path = "tests/fixtures/server.zip"
  lambda_artifact_path = "tests/fixtures/lambda.zip"
}

run "rejects_malformed_region" {
  command = plan
  variables { region = "US_EAST_1" }
  expect_failures = [var.region]
}

run "rejects_name_prefix_with_uppercase" {
  command = plan
  variables { name_prefix = "Hybrid" }
  expect_failures = [var.name_prefix]
}

run "rejects_unknown_architecture" {
  command = plan
  variables { architecture = "amd64" }
  expect_failures = [var.architecture]
}

run "rejects_malformed_instance_type" {
  command = plan
  variables { instance_type = "micro" }
  expect_failures = [var.instance_type]
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

run "rejects_privileged_server_port" {
  command = plan
  variables { server_port = 80 }
  expect_failures = [var.server_port]
}

run "rejects_lambda_memory_below_128" {
  command = plan
  variables { lambda_memory_mb = 64 }
  expect_failures = [var.lambda_memory_mb]
}

run "rejects_lambda_timeout_above_900" {
  command = plan
  variables { lambda_timeout_s = 901 }
  expect_failures = [var.lambda_timeout_s]
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

run "rejects_log_retention_cloudwatch_does_not_offer" {
  command = plan
  variables { log_retention_days = 10 }
  expect_failures = [var.log_retention_days]
}

run "rejects_zero_image_expiry" {
  command = plan
  variables { image_expiry_days = 0 }
  expect_failures = [var.image_expiry_days]
}

run "rejects_zero_request_record_days" {
  command = plan
  variables { request_record_days = 0 }
  expect_failures = [var.request_record_days]
}

run "rejects_fractional_request_record_days" {
  command = plan
  variables { request_record_days = 1.5 }
  expect_failures = [var.request_record_days]
}

run "rejects_endpoint_url_with_path" {
  command = plan
  variables { aws_endpoint_url = "http://127.0.0.1:5000/s3" }
  expect_failures = [var.aws_endpoint_url]
}

run "rejects_reserved_tag_key" {
  command = plan
  variables { tags = { "aws:owner" = "me" } }
  expect_failures = [var.tags]
}
