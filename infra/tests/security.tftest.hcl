# The security properties of the stack, checked offline against the mock provider.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  server_artifact_path = "tests/fixtures/server.zip"
  lambda_artifact_path = "tests/fixtures/lambda.zip"
}

run "launch_template_requires_imdsv2_and_encrypts_the_root_disk" {
  assert {
    condition     = aws_launch_template.server.metadata_options[0].http_tokens == "required" && aws_launch_template.server.metadata_options[0].http_endpoint == "enabled"
    error_message = "Every instance must require IMDSv2 session tokens."
  }
  assert {
    condition     = aws_launch_template.server.metadata_options[0].http_put_response_hop_limit == 1
    error_message = "The IMDS hop limit must be 1 so that nothing forwarded (e.g. a container) can reach the credentials."
  }
  assert {
    condition = (
      length(aws_launch_template.server.block_device_mappings) == 1
      && aws_launch_template.server.block_device_mappings[0].device_name == data.aws_ami.al2023.root_device_name
      && aws_launch_template.server.block_device_mappings[0].ebs[0].encrypted == "true"
      && aws_launch_template.server.block_device_mappings[0].ebs[0].volume_type == "gp3"
    )
    error_message = "The root volume (the AMI's root device) must be encrypted gp3."
  }
  assert {
    condition     = aws_launch_template.server.iam_instance_profile[0].arn == aws_iam_instance_profile.server.arn && aws_iam_instance_profile.server.role == aws_iam_role.server.name
    error_message = "Every instance must run with the server's instance profile."
  }
  assert {
    condition     = aws_launch_template.server.key_name == null
    error_message = "No SSH key pair: Session Manager instead."
  }
  assert {
    condition = (
      aws_launch_template.server.image_id == "ami-0123456789abcdef0"
      && data.aws_ami.al2023.filter == toset([{ name = "image-id", values = toset(["ami-0123456789abcdef0"]) }])
      && data.aws_ssm_parameter.al2023_ami.name == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    )
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

run "security_groups_chain_function_to_balancer_to_servers" {
  assert {
    condition = (
      aws_vpc_security_group_egress_rule.function_to_balancer.security_group_id == aws_security_group.function.id
      && aws_vpc_security_group_egress_rule.function_to_balancer.referenced_security_group_id == aws_security_group.balancer.id
      && aws_vpc_security_group_ingress_rule.balancer_from_function.security_group_id == aws_security_group.balancer.id
      && aws_vpc_security_group_ingress_rule.balancer_from_function.referenced_security_group_id == aws_security_group.function.id
      && aws_vpc_security_group_egress_rule.balancer_to_server.security_group_id == aws_security_group.balancer.id
      && aws_vpc_security_group_egress_rule.balancer_to_server.referenced_security_group_id == aws_security_group.server.id
      && aws_vpc_security_group_ingress_rule.server_from_balancer.security_group_id == aws_security_group.server.id
      && aws_vpc_security_group_ingress_rule.server_from_balancer.referenced_security_group_id == aws_security_group.balancer.id
    )
    error_message = "The chain must be function -> balancer -> servers, each link a security-group reference."
  }
  assert {
    condition = alltrue([
      for rule in [
        aws_vpc_security_group_egress_rule.function_to_balancer,
        aws_vpc_security_group_ingress_rule.balancer_from_function,
        aws_vpc_security_group_egress_rule.balancer_to_server,
        aws_vpc_security_group_ingress_rule.server_from_balancer,
      ] : rule.ip_protocol == "tcp" && rule.from_port == 8080 && rule.to_port == 8080 && rule.cidr_ipv4 == null && rule.cidr_ipv6 == null && rule.prefix_list_id == null
    ])
    error_message = "Every link of the chain must be TCP on the server port with no CIDR block or prefix list."
  }
  assert {
    condition     = aws_lb.server.security_groups == toset([aws_security_group.balancer.id]) && aws_launch_template.server.vpc_security_group_ids == toset([aws_security_group.server.id])
    error_message = "The load balancer and the instances must run with only their own security groups."
  }
  assert {
    condition     = length(aws_security_group.balancer.ingress) == 0 && length(aws_security_group.balancer.egress) == 0 && length(aws_security_group.server.ingress) == 0
    error_message = "No inline rules: each rule is its own resource above."
  }
}

run "no_ingress_from_anywhere" {
  assert {
    condition = alltrue([
      for group in [aws_security_group.server, aws_security_group.balancer, aws_security_group.function, aws_default_security_group.default] :
      alltrue([for rule in group.ingress : !contains(rule.cidr_blocks, "0.0.0.0/0") && !contains(rule.ipv6_cidr_blocks, "::/0")])
    ])
    error_message = "No security group may have inline ingress from 0.0.0.0/0 or ::/0."
  }
  assert {
    condition     = length(aws_default_security_group.default.ingress) == 0 && length(aws_default_security_group.default.egress) == 0
    error_message = "The VPC's default security group must allow nothing."
  }
}

run "function_egress_only_to_the_balancer" {
  assert {
    condition     = length(aws_security_group.function.egress) == 0 && length(aws_security_group.function.ingress) == 0
    error_message = "The function's security group must have no inline rules (its one rule is function_to_balancer)."
  }
  assert {
    condition = (
      aws_lambda_function.ingest.vpc_config[0].security_group_ids == toset([aws_security_group.function.id])
      && aws_lambda_function.ingest.vpc_config[0].subnet_ids == toset(aws_subnet.private[*].id)
    )
    error_message = "The function must run in the private subnets with its own security group."
  }
}

run "servers_and_balancer_are_private_with_egress_through_nat" {
  assert {
    condition     = aws_autoscaling_group.server.vpc_zone_identifier == toset(aws_subnet.private[*].id) && alltrue([for subnet in aws_subnet.private : subnet.map_public_ip_on_launch != true])
    error_message = "The servers must run in the private subnets, without public IPs."
  }
  assert {
    condition     = aws_lb.server.internal && aws_lb.server.load_balancer_type == "application" && aws_lb.server.subnets == toset(aws_subnet.private[*].id)
    error_message = "The load balancer must be internal, in the private subnets."
  }
  assert {
    condition     = aws_lb.server.drop_invalid_header_fields
    error_message = "The load balancer must drop invalid header fields (request smuggling)."
  }
  assert {
    condition     = aws_route.private_nat.route_table_id == aws_route_table.private.id && aws_route.private_nat.nat_gateway_id == aws_nat_gateway.main.id && aws_nat_gateway.main.subnet_id == aws_subnet.public[0].id
    error_message = "The private route table must send internet traffic (image downloads) to the NAT gateway in a public subnet."
  }
  assert {
    condition     = alltrue([for subnet in aws_subnet.public : subnet.map_public_ip_on_launch != true])
    error_message = "Nothing launched in the public subnets gets a public IP by default (only the NAT gateway lives there)."
  }
}
