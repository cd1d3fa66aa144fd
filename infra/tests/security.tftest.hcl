# The security properties of the stack, checked offline against the mock provider.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  server_artifact_path = "tests/fixtures/server.zip"
  lambda_artifact_path = "tests/fixtures/lambda.zip"
}

run "instance_requires_imdsv2_and_encrypts_its_disk" {
  assert {
    condition     = aws_instance.server.metadata_options[0].http_tokens == "required"
    error_message = "The instance must require IMDSv2 session tokens."
  }
  assert {
    condition     = aws_instance.server.metadata_options[0].http_put_response_hop_limit == 1
    error_message = "The IMDS hop limit must be 1 so that nothing forwarded (e.g. a container) can reach the credentials."
  }
  assert {
    condition     = aws_instance.server.root_block_device[0].encrypted
    error_message = "The root volume must be encrypted."
  }
  assert {
    condition     = aws_instance.server.iam_instance_profile == aws_iam_instance_profile.server.name && aws_iam_instance_profile.server.role == aws_iam_role.server.name
    error_message = "The instance must run with the server's instance profile."
  }
  assert {
    condition     = aws_instance.server.ami == "ami-0123456789abcdef0" && data.aws_ssm_parameter.al2023_ami.name == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    error_message = "The AMI must come from the public Amazon Linux 2023 SSM parameter for the architecture."
  }
}

run "bucket_is_private_encrypted_and_tls_only" {
  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.images.block_public_acls,
      aws_s3_bucket_public_access_block.images.block_public_policy,
      aws_s3_bucket_public_access_block.images.ignore_public_acls,
      aws_s3_bucket_public_access_block.images.restrict_public_buckets,
    ])
    error_message = "All four Block Public Access settings must be on."
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.images.bucket == aws_s3_bucket.images.id
    error_message = "The public access block must apply to the images bucket."
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.images.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "Object ownership must be BucketOwnerEnforced (ACLs disabled)."
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.images.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256"
    error_message = "Default encryption must be on."
  }
  assert {
    condition = anytrue([
      for statement in jsondecode(aws_s3_bucket_policy.images[0].policy).Statement :
      statement.Effect == "Deny" && statement.Principal == "*" && statement.Action == "s3:*"
      && statement.Condition.Bool["aws:SecureTransport"] == "false"
      && toset(statement.Resource) == toset([aws_s3_bucket.images.arn, "${aws_s3_bucket.images.arn}/*"])
    ])
    error_message = "The bucket policy must deny every request that does not use TLS."
  }
  assert {
    condition = anytrue([
      for rule in aws_s3_bucket_lifecycle_configuration.images.rule :
      rule.status == "Enabled" && try(rule.abort_incomplete_multipart_upload[0].days_after_initiation == 1, false)
    ])
    error_message = "A lifecycle rule must abort incomplete multipart uploads."
  }
}

run "no_ingress_from_anywhere_but_the_function" {
  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.server_from_function.security_group_id == aws_security_group.server.id
      && aws_vpc_security_group_ingress_rule.server_from_function.referenced_security_group_id == aws_security_group.function.id
      && aws_vpc_security_group_ingress_rule.server_from_function.ip_protocol == "tcp"
      && aws_vpc_security_group_ingress_rule.server_from_function.from_port == 8080
      && aws_vpc_security_group_ingress_rule.server_from_function.to_port == 8080
    )
    error_message = "The server must accept TCP on the server port from the function's security group."
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.server_from_function.cidr_ipv4 == null && aws_vpc_security_group_ingress_rule.server_from_function.cidr_ipv6 == null
    error_message = "The server's ingress must name no CIDR block (0.0.0.0/0 in particular)."
  }
  assert {
    condition = alltrue([
      for group in [aws_security_group.server, aws_security_group.function, aws_default_security_group.default] :
      alltrue([for rule in group.ingress : !contains(rule.cidr_blocks, "0.0.0.0/0") && !contains(rule.ipv6_cidr_blocks, "::/0")])
    ])
    error_message = "No security group may have inline ingress from 0.0.0.0/0 or ::/0."
  }
  assert {
    condition     = length(aws_default_security_group.default.ingress) == 0 && length(aws_default_security_group.default.egress) == 0
    error_message = "The VPC's default security group must allow nothing."
  }
}

run "function_egress_only_to_the_server_port" {
  assert {
    condition = (
      aws_vpc_security_group_egress_rule.function_to_server.security_group_id == aws_security_group.function.id
      && aws_vpc_security_group_egress_rule.function_to_server.referenced_security_group_id == aws_security_group.server.id
      && aws_vpc_security_group_egress_rule.function_to_server.ip_protocol == "tcp"
      && aws_vpc_security_group_egress_rule.function_to_server.from_port == 8080
      && aws_vpc_security_group_egress_rule.function_to_server.to_port == 8080
      && aws_vpc_security_group_egress_rule.function_to_server.cidr_ipv4 == null
    )
    error_message = "The function may only open TCP connections to the server's security group on the server port."
  }
  assert {
    condition     = length(aws_security_group.function.egress) == 0 && length(aws_security_group.function.ingress) == 0
    error_message = "The function's security group must have no inline rules (its one rule is function_to_server)."
  }
  assert {
    condition = (
      aws_lambda_function.ingest.vpc_config[0].security_group_ids == toset([aws_security_group.function.id])
      && aws_lambda_function.ingest.vpc_config[0].subnet_ids == toset(aws_subnet.private[*].id)
    )
    error_message = "The function must run in the private subnets with its own security group."
  }
}

run "server_without_nat_has_a_public_ip_but_no_public_ingress" {
  assert {
    condition     = aws_instance.server.subnet_id == aws_subnet.public[0].id && aws_subnet.public[0].map_public_ip_on_launch
    error_message = "Without a NAT gateway the server runs in a public subnet with a public IP (egress only)."
  }
  assert {
    condition     = aws_instance.server.vpc_security_group_ids == toset([aws_security_group.server.id])
    error_message = "The server must run with only its own security group."
  }
  assert {
    condition     = length(aws_nat_gateway.main) == 0
    error_message = "No NAT gateway by default (it costs money per hour)."
  }
}

run "server_behind_nat_gateway_when_enabled" {
  variables {
    enable_nat_gateway = true
  }
  assert {
    condition     = aws_instance.server.subnet_id == aws_subnet.private[0].id && aws_subnet.private[0].map_public_ip_on_launch != true
    error_message = "With a NAT gateway the server runs in a private subnet."
  }
  assert {
    condition     = length(aws_nat_gateway.main) == 1 && aws_route.private_nat[0].nat_gateway_id == aws_nat_gateway.main[0].id && aws_route.private_nat[0].route_table_id == aws_route_table.private.id
    error_message = "The private route table must send internet traffic to the NAT gateway."
  }
}
