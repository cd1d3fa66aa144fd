# Least privilege: no wildcard action anywhere, and no resource beyond this bucket, the server's
# artifact, the stack's log groups, its own network interfaces and (for Session Manager, only from
# inside the stack's VPC) its instances. The only "*" resources are the actions AWS offers no
# resource-level permission for, each named here with its reason.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  server_artifact_path = "tests/fixtures/server.zip"
  lambda_artifact_path = "tests/fixtures/lambda.zip"
}

run "no_policy_grants_a_wildcard_action" {
  assert {
    condition = alltrue(flatten([
      for policy in [aws_iam_role_policy.server.policy, aws_iam_role_policy.server_session_manager.policy, aws_iam_role_policy.function.policy] : [
        for statement in jsondecode(policy).Statement : [
          for action in flatten([statement.Action]) : statement.Effect == "Allow" && !strcontains(action, "*")
        ]
      ]
    ]))
    error_message = "Every statement must allow named actions only (no \"*\" in an action)."
  }
}

run "server_reaches_only_its_bucket_prefix_artifact_and_log_group" {
  assert {
    condition = alltrue(flatten([
      for statement in jsondecode(aws_iam_role_policy.server.policy).Statement : [
        for resource in flatten([statement.Resource]) : contains([
          "arn:aws:s3:::hybrid-ingest-123456789012-us-east-1/images/*",
          "arn:aws:s3:::hybrid-ingest-123456789012-us-east-1/test/*",
          "arn:aws:s3:::hybrid-ingest-123456789012-us-east-1/requests/*",
          "arn:aws:s3:::hybrid-ingest-123456789012-us-east-1",
          "arn:aws:s3:::hybrid-ingest-123456789012-us-east-1/artifacts/server.zip",
          "arn:aws:logs:us-east-1:123456789012:log-group:/hybrid-ingest/hybrid-ingest/server:*",
        ], resource)
      ]
    ]))
    error_message = "The server's policy may name only images/*, test/*, requests/* and the bucket, its own artifact and its log group."
  }
  assert {
    condition = {
      for statement in jsondecode(aws_iam_role_policy.server.policy).Statement :
      statement.Sid => toset(flatten([statement.Action]))
      } == {
      StoreImages          = toset(["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"])
      FindAbandonedUploads = toset(["s3:ListBucketMultipartUploads"])
      RecordRequests       = toset(["s3:PutObject", "s3:GetObject", "s3:DeleteObject"])
      StoreTestImages      = toset(["s3:PutObject", "s3:DeleteObject"])
      CheckBucket          = toset(["s3:ListBucket"])
      ReadOwnArtifact      = toset(["s3:GetObject"])
      WriteServerLogs      = toset(["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"])
    }
    error_message = "The server's policy must grant exactly: store images (put, clean up), find abandoned uploads, record request ids (put, read, delete), store /test-process images (put, clean up), check the bucket, read its artifact, write its logs."
  }
  assert {
    condition = alltrue(flatten([
      for statement in jsondecode(aws_iam_role_policy.server.policy).Statement : [
        for action in flatten([statement.Action]) :
        action != "s3:GetObject" || contains([
          toset(["${aws_s3_bucket.images.arn}/artifacts/server.zip"]),
          toset(["${aws_s3_bucket.images.arn}/requests/*"]),
        ], toset(flatten([statement.Resource])))
      ]
    ]))
    error_message = "The server may read only its own artifact and its request records: no s3:GetObject on images/ (it never reads an image back, so a compromised server cannot read stored images through its role)."
  }
  assert {
    condition = alltrue([
      for statement in jsondecode(aws_iam_role_policy.server.policy).Statement :
      (statement.Sid != "StoreImages" || statement.Resource == "${aws_s3_bucket.images.arn}/images/*")
      && (statement.Sid != "StoreTestImages" || statement.Resource == "${aws_s3_bucket.images.arn}/test/*")
      && (statement.Sid != "RecordRequests" || statement.Resource == "${aws_s3_bucket.images.arn}/requests/*")
      && (statement.Sid != "FindAbandonedUploads" || statement.Resource == aws_s3_bucket.images.arn)
    ])
    error_message = "The server may write under images/, test/ and requests/ only (not over its own artifact), and list uploads of its bucket only."
  }
}

run "session_manager_is_pinned_to_the_stacks_instances" {
  assert {
    condition = alltrue([
      for statement in jsondecode(aws_iam_role_policy.server_session_manager.policy).Statement :
      # The group's instances come and go: the account's and region's instances, or "*" for the
      # ssmmessages actions, which support no resource ARN...
      (
        statement.Resource == "arn:aws:ec2:us-east-1:123456789012:instance/*"
        || (statement.Resource == "*" && alltrue([for action in flatten([statement.Action]) : startswith(action, "ssmmessages:")]))
      )
      # ...and only for credentials delivered to an instance in this stack's VPC.
      && try(statement.Condition.StringEquals["aws:Ec2InstanceSourceVpc"], null) == aws_vpc.main.id
      && length(statement.Condition) == 1
    ])
    error_message = "Session Manager permissions must be limited to instances of this stack's VPC (aws:Ec2InstanceSourceVpc)."
  }
  assert {
    condition = toset(flatten([
      for statement in jsondecode(aws_iam_role_policy.server_session_manager.policy).Statement : statement.Action
      ])) == toset([
      "ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
    ])
    error_message = "Session Manager needs exactly these five actions."
  }
  assert {
    condition     = aws_iam_role_policy.server_session_manager.role == aws_iam_role.server.id
    error_message = "The Session Manager policy belongs to the server's role."
  }
}

run "function_reaches_only_its_log_group_and_network_interfaces" {
  assert {
    condition = alltrue(flatten([
      for statement in jsondecode(aws_iam_role_policy.function.policy).Statement : [
        for resource in flatten([statement.Resource]) : contains(concat([
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/hybrid-ingest-function:*",
          "arn:aws:ec2:us-east-1:123456789012:network-interface/*",
          aws_security_group.function.arn,
        ], aws_subnet.private[*].arn), resource)
        # DescribeNetworkInterfaces works only on "*".
        || (resource == "*" && statement.Action == "ec2:DescribeNetworkInterfaces")
      ]
    ]))
    error_message = "The function's policy may name only its log group, its network interfaces, the private subnets and its security group."
  }
  assert {
    condition = toset(flatten([
      for statement in jsondecode(aws_iam_role_policy.function.policy).Statement : statement.Action
      ])) == toset([
      "logs:CreateLogStream", "logs:PutLogEvents", "ec2:DescribeNetworkInterfaces", "ec2:CreateNetworkInterface",
      "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
    ])
    error_message = "The function's role must grant exactly log writing and VPC network-interface management."
  }
}

run "roles_trust_only_their_service" {
  assert {
    condition     = jsondecode(aws_iam_role.server.assume_role_policy).Statement[0].Principal == { Service = "ec2.amazonaws.com" } && length(jsondecode(aws_iam_role.server.assume_role_policy).Statement) == 1
    error_message = "Only EC2 may assume the server's role."
  }
  assert {
    condition     = jsondecode(aws_iam_role.function.assume_role_policy).Statement[0].Principal == { Service = "lambda.amazonaws.com" } && length(jsondecode(aws_iam_role.function.assume_role_policy).Statement) == 1
    error_message = "Only Lambda may assume the function's role."
  }
}
