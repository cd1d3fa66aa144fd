# The internal Application Load Balancer in front of the server group: HTTP on the server port,
# inside the VPC only, in the private subnets of both AZs. The function's SERVER_URL is its DNS
# name, which stays the same across deploys and scaling.

locals {
  # Above the function's timeout, so a call the function still waits for is never cut by the
  # balancer while the server works on it; above the function's 60 s idle-connection limit, so the
  # function, not the balancer, closes an idle kept-alive connection; and, up to a function timeout
  # of 120 s, below Kestrel's 130 s keep-alive, so the balancer never reuses a connection the
  # server has just closed (which would answer 502).
  balancer_idle_timeout_seconds = max(90, var.lambda_timeout_s + 10)
}

resource "aws_lb" "server" {
  name                       = "${var.name_prefix}-server"
  internal                   = true
  load_balancer_type         = "application"
  subnets                    = aws_subnet.private[*].id
  security_groups            = [aws_security_group.balancer.id]
  idle_timeout               = local.balancer_idle_timeout_seconds
  drop_invalid_header_fields = true
}

resource "aws_lb_target_group" "server" {
  name        = "${var.name_prefix}-server"
  vpc_id      = aws_vpc.main.id
  target_type = "instance"
  protocol    = "HTTP"
  port        = var.server_port

  # Requests vary from milliseconds to the download timeout: send each to the server with the
  # fewest in flight rather than in turn.
  load_balancing_algorithm_type = "least_outstanding_requests"

  # An instance leaving the group (scale-in, instance refresh) gets no new requests and keeps
  # those in flight for this long before it is terminated: the same time the server itself drains
  # for on SIGTERM.
  deregistration_delay = local.server_drain_seconds

  # GET /ready is 503 while the server drains or S3 does not answer it. Two failures 5 s apart
  # take an instance out in about 10 s, well inside the 20 s a stopping server keeps answering;
  # two successes put it back. Each check is one HeadBucket (docs/scaling.md: its cost).
  health_check {
    path                = "/ready"
    protocol            = "HTTP"
    port                = "traffic-port"
    matcher             = "200"
    interval            = 5
    timeout             = 4
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
}

resource "aws_lb_listener" "server" {
  load_balancer_arn = aws_lb.server.arn
  port              = var.server_port
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.server.arn
  }
}
