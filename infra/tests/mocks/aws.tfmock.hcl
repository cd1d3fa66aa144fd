# Values the mock provider cannot invent: those the module computes names, ARNs and URLs from.

mock_data "aws_availability_zones" {
  defaults = {
    names = ["us-east-1a", "us-east-1b"]
  }
}

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition = "aws"
  }
}

mock_data "aws_ssm_parameter" {
  defaults = {
    value = "ami-0123456789abcdef0"
  }
}

mock_data "aws_ec2_instance_type" {
  defaults = {
    supported_architectures = ["x86_64", "arm64"]
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    id  = "hybrid-ingest-123456789012-us-east-1"
    arn = "arn:aws:s3:::hybrid-ingest-123456789012-us-east-1"
  }
}

mock_resource "aws_instance" {
  defaults = {
    private_ip = "10.42.0.10"
    arn        = "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"
  }
}

override_resource {
  target = aws_cloudwatch_log_group.function
  values = {
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/hybrid-ingest-function"
  }
}

override_resource {
  target = aws_cloudwatch_log_group.server
  values = {
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:/hybrid-ingest/hybrid-ingest/server"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/hybrid-ingest-mock"
  }
}

mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:us-east-1:123456789012:hybrid-ingest-alarms"
  }
}

mock_resource "aws_cloudwatch_metric_alarm" {
  defaults = {
    arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:hybrid-ingest-mock"
  }
}
