# The function: the Native AOT `bootstrap` on provided.al2023 in the private subnets, calling the
# server group through the internal load balancer. Its log group exists before the function, so Lambda never creates one
# without retention.

locals {
  function_name = "${var.name_prefix}-function"

  function_environment = {
    SERVER_URL = local.server_url
  }

  network_interfaces_arn = "arn:${local.partition}:ec2:${var.region}:${local.account_id}:network-interface/*"

  # Sized to the server tier: at most as many calls in flight as the largest group has request
  # slots, so a burst is held back by Lambda (429 to the caller, who may retry) instead of
  # queueing on the servers until their queues refuse it (docs/scaling.md). -1: no reservation.
  function_reserved_concurrency = coalesce(var.lambda_reserved_concurrency, var.server_max * local.server_max_concurrent_requests)
}

resource "aws_cloudwatch_log_group" "function" {
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_iam_role" "function" {
  name        = local.function_name
  description = "HybridIngest function execution role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

# Logs to its own group, and the network-interface management Lambda does with this role to put
# the function in the VPC. DescribeNetworkInterfaces works only on "*"; the others are limited to
# this account's and region's network interfaces and, for creation, to this VPC's private subnets
# and the function's security group (Lambda checks CreateNetworkInterface on network-interface/*
# when the function is created).
resource "aws_iam_role_policy" "function" {
  name = "function"
  role = aws_iam_role.function.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.function.arn}:*"
      },
      {
        Sid      = "DescribeNetworkInterfaces"
        Effect   = "Allow"
        Action   = "ec2:DescribeNetworkInterfaces"
        Resource = "*"
      },
      {
        Sid    = "CreateNetworkInterfaces"
        Effect = "Allow"
        Action = "ec2:CreateNetworkInterface"
        Resource = concat(
          [local.network_interfaces_arn, aws_security_group.function.arn],
          aws_subnet.private[*].arn,
        )
      },
      {
        Sid      = "ManageNetworkInterfaces"
        Effect   = "Allow"
        Action   = ["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
        Resource = local.network_interfaces_arn
      },
    ]
  })
}

resource "aws_lambda_function" "ingest" {
  function_name    = local.function_name
  description      = "HybridIngest: forwards image URLs to the server"
  role             = aws_iam_role.function.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  filename         = var.lambda_artifact_path
  source_code_hash = filebase64sha256(var.lambda_artifact_path)
  memory_size      = var.lambda_memory_mb
  timeout          = var.lambda_timeout_s

  reserved_concurrent_executions = local.function_reserved_concurrency

  vpc_config {
    subnet_ids         = aws_subnet.private[*].id
    security_group_ids = [aws_security_group.function.id]
  }

  environment {
    variables = local.function_environment
  }

  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function]
}
