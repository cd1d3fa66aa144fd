# The server tier as an Auto Scaling group behind the internal load balancer: where it runs, how
# the balancer checks and drains it, how it rolls out and scales, and what the function may send it.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  server_artifact_path = "tests/fixtures/server.zip"
  lambda_artifact_path = "tests/fixtures/lambda.zip"
}

# A plan on an empty state: what the group is created with (later applies ignore desired_capacity).
run "group_starts_at_server_desired" {
  command = plan
  variables {
    server_min     = 2
    server_desired = 3
    server_max     = 6
  }
  assert {
    condition     = aws_autoscaling_group.server.min_size == 2 && aws_autoscaling_group.server.desired_capacity == 3 && aws_autoscaling_group.server.max_size == 6
    error_message = "server_min, server_desired and server_max must size the group."
  }
}

# The defaults: the group over two AZs behind the target group, ELB health checks, instance
# refresh at 100 % healthy, GET /ready with the drain-long deregistration delay, the idle timeout,
# target tracking and the reserved concurrency.
run "the_default_server_tier" {
  assert {
    condition     = aws_autoscaling_group.server.vpc_zone_identifier == toset(aws_subnet.private[*].id) && length(toset(aws_subnet.private[*].availability_zone)) == 2
    error_message = "The group must span the private subnets of two different AZs."
  }
  assert {
    condition     = aws_autoscaling_group.server.min_size == 1 && aws_autoscaling_group.server.max_size == 2 && aws_autoscaling_group.server.desired_capacity == 1
    error_message = "Lab defaults: min 1, max 2, desired 1."
  }
  assert {
    condition     = aws_autoscaling_group.server.target_group_arns == toset([aws_lb_target_group.server.arn])
    error_message = "The group must register its instances with the load balancer's target group."
  }
  assert {
    condition     = aws_autoscaling_group.server.health_check_type == "ELB" && aws_autoscaling_group.server.health_check_grace_period > 0
    error_message = "The group must replace instances the load balancer finds unhealthy (ELB health checks), after a boot grace period."
  }
  assert {
    condition     = aws_autoscaling_group.server.min_elb_capacity == 1
    error_message = "Creating the group must wait for server_min instances healthy behind the load balancer."
  }
  assert {
    condition     = one(aws_autoscaling_group.server.launch_template).id == aws_launch_template.server.id && one(aws_autoscaling_group.server.launch_template).version == "3"
    error_message = "The group must launch the template's latest version, so that a new version is rolled out."
  }
  assert {
    condition = (
      one(aws_autoscaling_group.server.instance_refresh).strategy == "Rolling"
      && one(one(aws_autoscaling_group.server.instance_refresh).preferences).min_healthy_percentage == 100
      && one(one(aws_autoscaling_group.server.instance_refresh).preferences).max_healthy_percentage == 200
    )
    error_message = "Instance refresh must be rolling with min healthy 100% (new instances first) and room for them (max 200%)."
  }
  assert {
    condition     = one(aws_autoscaling_group.server.instance_maintenance_policy).min_healthy_percentage == 100
    error_message = "Replacing an unhealthy instance must launch its successor first, too."
  }
  assert {
    condition     = aws_launch_template.server.update_default_version
    error_message = "A change to the template must become its default version."
  }
  assert {
    condition = (
      aws_lb_target_group.server.health_check[0].path == "/ready"
      && aws_lb_target_group.server.health_check[0].matcher == "200"
      && aws_lb_target_group.server.health_check[0].port == "traffic-port"
      && aws_lb_target_group.server.health_check[0].timeout < aws_lb_target_group.server.health_check[0].interval
    )
    error_message = "The target group must health-check GET /ready on the server port, expecting 200."
  }
  assert {
    condition     = aws_lb_target_group.server.deregistration_delay == "20" && strcontains(base64decode(aws_launch_template.server.user_data), "INGEST_DRAIN_SECONDS=20")
    error_message = "The deregistration delay must be the server's drain time (20 s)."
  }
  assert {
    condition     = aws_lb_target_group.server.health_check[0].interval * aws_lb_target_group.server.health_check[0].unhealthy_threshold < 20
    error_message = "The balancer must find a draining server unhealthy (/ready 503) before its 20 s drain ends."
  }
  assert {
    condition     = aws_lb.server.idle_timeout == 90 && aws_lb.server.idle_timeout > aws_lambda_function.ingest.timeout
    error_message = "With the 30 s function timeout the balancer's idle timeout must be 90 s (above it, and above the function's 60 s idle-connection limit)."
  }
  assert {
    condition = (
      aws_autoscaling_policy.server_requests.policy_type == "TargetTrackingScaling"
      && aws_autoscaling_policy.server_requests.autoscaling_group_name == aws_autoscaling_group.server.name
      && one(aws_autoscaling_policy.server_requests.target_tracking_configuration).target_value == 900
    )
    error_message = "Target tracking must keep 900 requests per server per minute by default."
  }
  assert {
    condition = (
      one(one(aws_autoscaling_policy.server_requests.target_tracking_configuration).predefined_metric_specification).predefined_metric_type == "ALBRequestCountPerTarget"
      && one(one(aws_autoscaling_policy.server_requests.target_tracking_configuration).predefined_metric_specification).resource_label == "app/hybrid-ingest-server/0123456789abcdef/targetgroup/hybrid-ingest-server/fedcba9876543210"
    )
    error_message = "The metric must be the load balancer's request count per target of this target group."
  }
  assert {
    condition     = aws_lambda_function.ingest.reserved_concurrent_executions == 128
    error_message = "By default the function's reserved concurrency must be server_max (2) x 64 request slots."
  }
}

run "a_later_apply_leaves_the_group_size_to_target_tracking" {
  variables {
    server_desired = 2
    server_max     = 5
  }
  assert {
    condition     = aws_autoscaling_group.server.max_size == 5 && aws_autoscaling_group.server.desired_capacity == 1
    error_message = "An apply must change the group's bounds but not put back the size target tracking chose (desired_capacity is ignored after creation)."
  }
  assert {
    condition     = aws_lambda_function.ingest.reserved_concurrent_executions == 320
    error_message = "The reserved concurrency must grow with server_max (5 x 64)."
  }
}

run "long_function_timeout_and_no_reservation" {
  variables {
    lambda_timeout_s            = 300
    lambda_reserved_concurrency = -1
  }
  assert {
    condition     = aws_lb.server.idle_timeout > 300
    error_message = "The balancer's idle timeout must stay above the function's timeout."
  }
  assert {
    condition     = aws_lambda_function.ingest.reserved_concurrent_executions == -1
    error_message = "-1 must leave the function unreserved."
  }
}
