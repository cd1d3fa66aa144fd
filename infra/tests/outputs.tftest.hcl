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
    condition     = output.ec2_instance_id == aws_instance.server.id && output.ec2_instance_id == output.instance_id
    error_message = "ec2_instance_id must be the server instance, as instance_id."
  }
  assert {
    condition     = output.ec2_instance_private_ip == "10.42.0.10" && output.ec2_instance_private_ip == output.server_private_ip
    error_message = "ec2_instance_private_ip must be the server's private IP, as server_private_ip."
  }
}
