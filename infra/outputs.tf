output "region" {
  description = "Region of the stack."
  value       = var.region
}

output "bucket_name" {
  description = "Name of the private bucket that holds images/{image_id}.{ext} (and the server package under artifacts/)."
  value       = aws_s3_bucket.images.id
}

output "function_name" {
  description = "Name of the Lambda function to invoke."
  value       = aws_lambda_function.ingest.function_name
}

output "function_arn" {
  description = "ARN of the Lambda function."
  value       = aws_lambda_function.ingest.arn
}

output "function_environment" {
  description = "Environment variables of the function (SERVER_URL). The local mode starts the function with these, SERVER_URL pointed at the local server."
  value       = aws_lambda_function.ingest.environment[0].variables
}

output "function_timeout_s" {
  description = "Function timeout in seconds."
  value       = aws_lambda_function.ingest.timeout
}

output "function_memory_mb" {
  description = "Function memory in MB."
  value       = aws_lambda_function.ingest.memory_size
}

output "function_log_group_name" {
  description = "CloudWatch log group of the function."
  value       = aws_cloudwatch_log_group.function.name
}

output "server_log_group_name" {
  description = "CloudWatch log group the instance ships the server's log to."
  value       = aws_cloudwatch_log_group.server.name
}

output "server_group_name" {
  description = "Auto Scaling group of the server instances (aws autoscaling describe-auto-scaling-groups / start-instance-refresh --auto-scaling-group-name <name>)."
  value       = aws_autoscaling_group.server.name
}

output "server_instance_ids" {
  description = "The server group's instances when Terraform last read them (apply, refresh); the group replaces and adds instances, so list them with the AWS CLI for the current ones."
  value       = data.aws_instances.server.ids
}

output "instance_id" {
  description = "The first of server_instance_ids (aws ssm start-session --target <id>)."
  value       = data.aws_instances.server.ids[0]
}

output "server_private_ip" {
  description = "Private IP of instance_id."
  value       = data.aws_instances.server.private_ips[0]
}

output "server_port" {
  description = "Port the server listens on."
  value       = var.server_port
}

output "server_url" {
  description = "URL the function calls the servers on: the internal load balancer (reachable only from the function's security group)."
  value       = local.server_url
}

output "server_environment" {
  description = "Environment the instance's systemd unit gives the server (S3_BUCKET, AWS_REGION, ASPNETCORE_URLS). The local mode starts the server with these, ASPNETCORE_URLS pointed at a loopback port."
  value       = local.server_environment
}

# The seed lab's output names, so its scripts work unchanged (benchmark.py reads
# lambda_function_name from the state; the lab's steps run `terraform output -raw
# lambda_function_name`). The lab's ec2_instance_public_ip has no counterpart: the servers have no
# public address here (private subnets, reached only through the load balancer; Session Manager
# for a shell).

output "lambda_function_name" {
  description = "Name of the Lambda function (the seed lab's name for function_name)."
  value       = aws_lambda_function.ingest.function_name
}

output "lambda_function_arn" {
  description = "ARN of the Lambda function (the seed lab's name for function_arn)."
  value       = aws_lambda_function.ingest.arn
}

output "s3_bucket_name" {
  description = "Name of the image bucket (the seed lab's name for bucket_name)."
  value       = aws_s3_bucket.images.id
}

output "ec2_instance_id" {
  description = "A server instance (the seed lab's name for instance_id)."
  value       = data.aws_instances.server.ids[0]
}

output "ec2_instance_private_ip" {
  description = "Private IP of that server instance (the seed lab's name for server_private_ip)."
  value       = data.aws_instances.server.private_ips[0]
}
