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

mock_data "aws_ami" {
  defaults = {
    id               = "ami-0123456789abcdef0"
    root_device_name = "/dev/xvda"
  }
}

# The server group's instances as the data source reads them after apply.
mock_data "aws_instances" {
  defaults = {
    ids         = ["i-0123456789abcdef0", "i-0fedcba9876543210"]
    private_ips = ["10.42.10.10", "10.42.11.10"]
  }
}

mock_resource "aws_lb" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/hybrid-ingest-server/0123456789abcdef"
    arn_suffix = "app/hybrid-ingest-server/0123456789abcdef"
    dns_name   = "internal-hybrid-ingest-server-123456789.us-east-1.elb.amazonaws.com"
  }
}

mock_resource "aws_lb_target_group" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/hybrid-ingest-server/fedcba9876543210"
    arn_suffix = "targetgroup/hybrid-ingest-server/fedcba9876543210"
  }
}

mock_resource "aws_launch_template" {
  defaults = {
    id             = "lt-0123456789abcdef0"
    latest_version = 3
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

mock_resource "aws_iam_instance_profile" {
  defaults = {
    arn = "arn:aws:iam::123456789012:instance-profile/hybrid-ingest-server"
  }
}
