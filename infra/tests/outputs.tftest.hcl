# The seed lab's output names (benchmark.py and the lab's steps read lambda_function_name) beside
# ours, with the same values.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  server_artifact_path = "tests/fixtures/server.zip"
  lambda_artifact_path = "tests/fixtures/lambda.zip"
}

run "lab_output_names_report_the_same_resources" {
  assert {
    condition     = output.lambda_function_name == "hybrid-ingest-function" && output.lambda_function_name == output.function_name
    error_message = "lambda_function_name must be the function's name, as function_name."
  }
  assert {
    condition     = output.lambda_function_arn == aws_lambda_function.ingest.arn && output.lambda_function_arn == output.function_arn
    error_message = "lambda_function_arn must be the function's ARN, as function_arn."
  }
  assert {
    condition     = output.s3_bucket_name == "hybrid-ingest-123456789012-us-east-1" && output.s3_bucket_name == output.bucket_name
    error_message = "s3_bucket_name must be the image bucket, as bucket_name."
  }
  assert {
    condition     = output.ec2_instance_id == "i-0123456789abcdef0" && output.ec2_instance_id == output.instance_id
    error_message = "ec2_instance_id must be an instance of the server group, as instance_id."
  }
  assert {
    condition     = output.ec2_instance_private_ip == "10.42.10.10" && output.ec2_instance_private_ip == output.server_private_ip
    error_message = "ec2_instance_private_ip must be that instance's private IP, as server_private_ip."
  }
}

run "instance_outputs_come_from_the_server_group" {
  assert {
    condition     = data.aws_instances.server.instance_tags == tomap({ "aws:autoscaling:groupName" = aws_autoscaling_group.server.name })
    error_message = "The instance outputs must list the server group's instances (by the tag the group puts on them)."
  }
  assert {
    condition     = output.server_instance_ids == tolist(["i-0123456789abcdef0", "i-0fedcba9876543210"]) && output.instance_id == output.server_instance_ids[0]
    error_message = "server_instance_ids must list the group's instances, instance_id the first."
  }
  assert {
    condition     = output.server_group_name == "hybrid-ingest-server" && output.server_group_name == aws_autoscaling_group.server.name
    error_message = "server_group_name must name the Auto Scaling group."
  }
}
