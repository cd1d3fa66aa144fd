# The dashboard and the alarms watch this stack's function and bucket, in the namespace and with
# the dimensions the function's and the server's EMF lines carry; the e-mail subscription is optional.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  server_artifact_path = "tests/fixtures/server.zip"
  lambda_artifact_path = "tests/fixtures/lambda.zip"
}

run "alarms_and_dashboard_watch_this_stacks_emf_and_lambda_metrics" {
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.latency_p99.namespace == "HybridIngest"
      && aws_cloudwatch_metric_alarm.latency_p99.metric_name == "duration_ms"
      && aws_cloudwatch_metric_alarm.latency_p99.extended_statistic == "p99"
      && aws_cloudwatch_metric_alarm.latency_p99.threshold == 5000
      && aws_cloudwatch_metric_alarm.latency_p99.dimensions == tomap({ function_name = "hybrid-ingest-function" })
    )
    error_message = "The latency alarm must watch the p99 of the function's EMF duration_ms, per function_name, at 5000 ms by default."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.overloaded.metric_name == "overloaded"
      && aws_cloudwatch_metric_alarm.overloaded.dimensions == tomap({ bucket = "hybrid-ingest-123456789012-us-east-1" })
      && aws_cloudwatch_metric_alarm.overloaded.threshold == 0
    )
    error_message = "The overloaded alarm must fire on any refusal of this stack's server (EMF overloaded, per bucket)."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.throttles.namespace == "AWS/Lambda"
      && aws_cloudwatch_metric_alarm.throttles.metric_name == "Throttles"
      && aws_cloudwatch_metric_alarm.throttles.dimensions == tomap({ FunctionName = "hybrid-ingest-function" })
    )
    error_message = "The throttles alarm must watch Lambda's Throttles of this function."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.no_healthy_server.namespace == "AWS/ApplicationELB"
      && aws_cloudwatch_metric_alarm.no_healthy_server.metric_name == "HealthyHostCount"
      && aws_cloudwatch_metric_alarm.no_healthy_server.dimensions == tomap({ TargetGroup = aws_lb_target_group.server.arn_suffix, LoadBalancer = aws_lb.server.arn_suffix })
      && aws_cloudwatch_metric_alarm.no_healthy_server.comparison_operator == "LessThanThreshold"
      && aws_cloudwatch_metric_alarm.no_healthy_server.threshold == 1
    )
    error_message = "The no-healthy-server alarm must fire when this stack's target group has fewer than one healthy server."
  }
  assert {
    condition = (
      length(aws_cloudwatch_metric_alarm.error_rate.metric_query) == 4
      && one([for q in aws_cloudwatch_metric_alarm.error_rate.metric_query : q.expression if q.return_data == true]) == "100 * (FILL(answered, 0) + FILL(failed, 0)) / invocations"
      && aws_cloudwatch_metric_alarm.error_rate.threshold == 5
    )
    error_message = "The error-rate alarm must divide the function's 5xx answers plus Lambda's Errors by its invocations, in percent."
  }
  assert {
    condition = alltrue([
      for alarm in [aws_cloudwatch_metric_alarm.error_rate, aws_cloudwatch_metric_alarm.latency_p99, aws_cloudwatch_metric_alarm.overloaded, aws_cloudwatch_metric_alarm.throttles, aws_cloudwatch_metric_alarm.no_healthy_server] :
      alarm.alarm_actions == toset([aws_sns_topic.alarms.arn]) && alarm.treat_missing_data == "notBreaching"
    ])
    error_message = "Every alarm must notify the alarms topic, and a quiet period (no data) must not alarm."
  }
  assert {
    condition     = length(aws_sns_topic_subscription.alarm_email) == 0
    error_message = "Without alarm_email nobody is subscribed."
  }
  assert {
    condition = alltrue([
      for needle in ["\"duration_ms\"", "\"lambda_ec2_call_time_ms\"", "\"total_ms\"", "\"download_ms\"", "\"upload_ms\"", "\"p50\"", "\"p99\"",
      "\"Invocations\"", "\"Throttles\"", "\"Errors\"", "MetricName=\\\"requests\\\"", "\"in_flight\"", "\"overloaded\"", "HealthyHostCount", "UnHealthyHostCount", "AutoScalingGroupName"] :
      strcontains(aws_cloudwatch_dashboard.main.dashboard_body, needle)
    ])
    error_message = "The dashboard must chart invocations, errors, throttles, p50 and p99 of every stage, server outcomes, load and server health (the target group and the group's CPU)."
  }
  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets) == 7 && aws_cloudwatch_dashboard.main.dashboard_name == "hybrid-ingest"
    error_message = "The dashboard must be named after name_prefix and hold its seven widgets."
  }
}

run "alarm_email_subscribes_to_the_topic" {
  variables {
    alarm_email          = "ops@example.com"
    alarm_p99_latency_ms = 1200
  }
  assert {
    condition     = aws_sns_topic_subscription.alarm_email[0].protocol == "email" && aws_sns_topic_subscription.alarm_email[0].endpoint == "ops@example.com"
    error_message = "alarm_email must be subscribed to the alarms topic by e-mail."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.latency_p99.threshold == 1200
    error_message = "alarm_p99_latency_ms must set the latency alarm's threshold."
  }
}

run "rejects_an_alarm_email_that_is_not_an_address" {
  command = plan
  variables { alarm_email = "ops at example.com" }
  expect_failures = [var.alarm_email]
}

run "rejects_a_p99_threshold_beyond_lambdas_limit" {
  command = plan
  variables { alarm_p99_latency_ms = 1000000 }
  expect_failures = [var.alarm_p99_latency_ms]
}
