# What to watch: a CloudWatch dashboard and five alarms over the metrics the function and the
# server write as Embedded Metric Format lines in the logs they already ship (namespace
# HybridIngest; the function's per function_name, the server's per bucket), plus Lambda's own
# AWS/Lambda metrics and the load balancer's view of the servers. The alarms notify an SNS topic; alarm_email subscribes an address to it.
# What each alarm means and what to do: docs/observability.md.

locals {
  metrics_namespace = "HybridIngest"
  period_s          = 300

  # The dimensions the EMF lines carry (src/HybridIngest.Function/JsonLog.cs, src/HybridIngest.Server/IngestMetrics.cs).
  function_metric = { function_name = local.function_name }
  server_metric   = { bucket = aws_s3_bucket.images.id }

  # Percent of invocations answered 5xx or failed outright, over 5 minutes.
  error_rate_threshold_percent = 5

  # Dashboard widgets: [namespace, metric, dimension name, value, ...] rows, then options.
  stage_metrics = [
    ["function", local.metrics_namespace, "duration_ms", "function_name", local.function_name],
    ["function → server", local.metrics_namespace, "lambda_ec2_call_time_ms", "function_name", local.function_name],
    ["server total", local.metrics_namespace, "total_ms", "bucket", aws_s3_bucket.images.id],
    ["download", local.metrics_namespace, "download_ms", "bucket", aws_s3_bucket.images.id],
    ["S3 write", local.metrics_namespace, "upload_ms", "bucket", aws_s3_bucket.images.id],
  ]
}

resource "aws_sns_topic" "alarms" {
  name = "${var.name_prefix}-alarms"
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count     = var.alarm_email == null ? 0 : 1
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

resource "aws_cloudwatch_metric_alarm" "error_rate" {
  alarm_name          = "${var.name_prefix}-error-rate"
  alarm_description   = "More than ${local.error_rate_threshold_percent}% of invocations answered 5xx (function or server failed) or failed in Lambda (crash, timeout), over 5 minutes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = local.error_rate_threshold_percent
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "rate"
    expression  = "100 * (FILL(answered, 0) + FILL(failed, 0)) / invocations"
    label       = "Error rate (%)"
    return_data = true
  }
  metric_query {
    id = "answered"
    metric {
      namespace   = local.metrics_namespace
      metric_name = "errors"
      dimensions  = local.function_metric
      period      = local.period_s
      stat        = "Sum"
    }
  }
  metric_query {
    id = "failed"
    metric {
      namespace   = "AWS/Lambda"
      metric_name = "Errors"
      dimensions  = { FunctionName = local.function_name }
      period      = local.period_s
      stat        = "Sum"
    }
  }
  metric_query {
    id = "invocations"
    metric {
      namespace   = "AWS/Lambda"
      metric_name = "Invocations"
      dimensions  = { FunctionName = local.function_name }
      period      = local.period_s
      stat        = "Sum"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "latency_p99" {
  alarm_name          = "${var.name_prefix}-latency-p99"
  alarm_description   = "The function's p99 duration stayed above ${var.alarm_p99_latency_ms} ms for 15 minutes."
  namespace           = local.metrics_namespace
  metric_name         = "duration_ms"
  dimensions          = local.function_metric
  extended_statistic  = "p99"
  period              = local.period_s
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_p99_latency_ms
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "overloaded" {
  alarm_name          = "${var.name_prefix}-overloaded"
  alarm_description   = "The server refused requests 503 overloaded (every slot busy and the queue full, or draining) in the last 5 minutes."
  namespace           = local.metrics_namespace
  metric_name         = "overloaded"
  dimensions          = local.server_metric
  statistic           = "Sum"
  period              = local.period_s
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "throttles" {
  alarm_name          = "${var.name_prefix}-lambda-throttles"
  alarm_description   = "Lambda throttled invocations of the function (concurrency limit reached) in the last 5 minutes."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = local.function_name }
  statistic           = "Sum"
  period              = local.period_s
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "no_healthy_server" {
  alarm_name          = "${var.name_prefix}-no-healthy-server"
  alarm_description   = "The load balancer had no healthy server (GET /ready) for 2 minutes: every invocation fails with 502/503 until one is back."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HealthyHostCount"
  dimensions          = { TargetGroup = aws_lb_target_group.server.arn_suffix, LoadBalancer = aws_lb.server.arn_suffix }
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 2
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_dashboard" "main" {
  dashboard_name = var.name_prefix
  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title  = "Invocations, errors, throttles"
          region = var.region
          stat   = "Sum"
          period = local.period_s
          metrics = [
            ["AWS/Lambda", "Invocations", "FunctionName", local.function_name],
            ["AWS/Lambda", "Errors", "FunctionName", local.function_name, { label = "Errors (crash, timeout)" }],
            ["AWS/Lambda", "Throttles", "FunctionName", local.function_name],
            [local.metrics_namespace, "errors", "function_name", local.function_name, { label = "Answered 5xx" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title   = "Server requests by outcome"
          region  = var.region
          period  = local.period_s
          metrics = [[{ expression = "SEARCH('{${local.metrics_namespace},bucket,outcome} MetricName=\"requests\" bucket=\"${aws_s3_bucket.images.id}\"', 'Sum', ${local.period_s})", id = "outcomes" }]]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title   = "p50 per stage (ms)"
          region  = var.region
          stat    = "p50"
          period  = local.period_s
          metrics = [for stage in local.stage_metrics : concat(slice(stage, 1, 5), [{ label = stage[0] }])]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title   = "p99 per stage (ms)"
          region  = var.region
          stat    = "p99"
          period  = local.period_s
          metrics = [for stage in local.stage_metrics : concat(slice(stage, 1, 5), [{ label = stage[0] }])]
          annotations = {
            horizontal = [{ label = "latency alarm (function p99)", value = var.alarm_p99_latency_ms }]
          }
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 12, height = 6
        properties = {
          title  = "Server load"
          region = var.region
          period = local.period_s
          metrics = [
            [local.metrics_namespace, "in_flight", "bucket", aws_s3_bucket.images.id, { stat = "Maximum", label = "in flight (max)" }],
            [local.metrics_namespace, "overloaded", "bucket", aws_s3_bucket.images.id, { stat = "Sum", label = "refused overloaded" }],
            [local.metrics_namespace, "bytes", "bucket", aws_s3_bucket.images.id, { stat = "Sum", label = "bytes stored", yAxis = "right" }],
          ]
        }
      },
      {
        # The group's servers as the load balancer sees them (its /ready health check), and their
        # CPU averaged over the group: instances come and go, the group and the target group stay.
        type = "metric", x = 12, y = 12, width = 12, height = 6
        properties = {
          title  = "Server health (load balancer targets, group CPU)"
          region = var.region
          period = 60
          metrics = [
            ["AWS/ApplicationELB", "HealthyHostCount", "TargetGroup", aws_lb_target_group.server.arn_suffix, "LoadBalancer", aws_lb.server.arn_suffix, { stat = "Minimum", label = "healthy servers" }],
            ["AWS/ApplicationELB", "UnHealthyHostCount", "TargetGroup", aws_lb_target_group.server.arn_suffix, "LoadBalancer", aws_lb.server.arn_suffix, { stat = "Maximum", label = "unhealthy servers" }],
            ["AWS/EC2", "CPUUtilization", "AutoScalingGroupName", aws_autoscaling_group.server.name, { stat = "Average", label = "CPU % (group average)", yAxis = "right" }],
          ]
        }
      },
      {
        type = "alarm", x = 0, y = 18, width = 24, height = 3
        properties = {
          title = "Alarms"
          alarms = [
            aws_cloudwatch_metric_alarm.error_rate.arn,
            aws_cloudwatch_metric_alarm.latency_p99.arn,
            aws_cloudwatch_metric_alarm.overloaded.arn,
            aws_cloudwatch_metric_alarm.throttles.arn,
            aws_cloudwatch_metric_alarm.no_healthy_server.arn,
          ]
        }
      },
    ]
  })
}
