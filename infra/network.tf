# A VPC over two AZs. The function, the internal load balancer and the servers run in the two
# private subnets; the servers reach image origins on the internet through one NAT gateway in a
# public subnet (no ingress from the internet anywhere). S3 traffic takes the gateway endpoint
# (free, and it stays on the AWS network, off the NAT gateway's per-GB charge).

data "aws_availability_zones" "available" {
  state = "available"
}

locals {
  vpc_cidr = "10.42.0.0/16"
  azs      = slice(data.aws_availability_zones.available.names, 0, 2)
}

resource "aws_vpc" "main" {
  cidr_block           = local.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = var.name_prefix }
}

# Strip the default security group of its rules so nothing can use it by accident.
resource "aws_default_security_group" "default" {
  vpc_id = aws_vpc.main.id
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id

  tags = { Name = var.name_prefix }
}

resource "aws_subnet" "public" {
  count = 2

  vpc_id            = aws_vpc.main.id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(local.vpc_cidr, 8, count.index)

  # Only the NAT gateway lives here (with its Elastic IP); nothing gets a public IP by default.
  map_public_ip_on_launch = false

  tags = { Name = "${var.name_prefix}-public-${local.azs[count.index]}" }
}

resource "aws_subnet" "private" {
  count = 2

  vpc_id            = aws_vpc.main.id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(local.vpc_cidr, 8, 10 + count.index)

  tags = { Name = "${var.name_prefix}-private-${local.azs[count.index]}" }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id

  tags = { Name = "${var.name_prefix}-public" }
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.main.id
}

resource "aws_route_table_association" "public" {
  count = 2

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id

  tags = { Name = "${var.name_prefix}-private" }
}

resource "aws_route_table_association" "private" {
  count = 2

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

# One NAT gateway, in the first AZ, for the lab's cost (docs/scaling.md: one per AZ is what
# removes it as a single point of egress, and what lifts its connection limit).
resource "aws_eip" "nat" {
  domain = "vpc"

  tags = { Name = "${var.name_prefix}-nat" }
}

resource "aws_nat_gateway" "main" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public[0].id

  tags = { Name = var.name_prefix }

  depends_on = [aws_internet_gateway.main]
}

resource "aws_route" "private_nat" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.main.id
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.main.id
  service_name      = "com.amazonaws.${var.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.public.id, aws_route_table.private.id]

  tags = { Name = "${var.name_prefix}-s3" }
}

# Security groups chained function -> load balancer -> servers, each rule a security-group
# reference on the server port: no CIDR block is admitted anywhere.

# The function may open connections to the load balancer's listener and nothing else: it calls no
# AWS API, and Lambda writes its logs outside the function's network interfaces.
resource "aws_security_group" "function" {
  name        = "${var.name_prefix}-function"
  description = "HybridIngest function: egress to the load balancer only"
  vpc_id      = aws_vpc.main.id
}

resource "aws_vpc_security_group_egress_rule" "function_to_balancer" {
  security_group_id            = aws_security_group.function.id
  description                  = "Calls to the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.server_port
  to_port                      = var.server_port
  referenced_security_group_id = aws_security_group.balancer.id
}

resource "aws_security_group" "balancer" {
  name        = "${var.name_prefix}-balancer"
  description = "HybridIngest load balancer: from the function, to the servers"
  vpc_id      = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "balancer_from_function" {
  security_group_id            = aws_security_group.balancer.id
  description                  = "Calls from the function"
  ip_protocol                  = "tcp"
  from_port                    = var.server_port
  to_port                      = var.server_port
  referenced_security_group_id = aws_security_group.function.id
}

# Requests and health checks (GET /ready) to the servers.
resource "aws_vpc_security_group_egress_rule" "balancer_to_server" {
  security_group_id            = aws_security_group.balancer.id
  description                  = "Requests and health checks to the servers"
  ip_protocol                  = "tcp"
  from_port                    = var.server_port
  to_port                      = var.server_port
  referenced_security_group_id = aws_security_group.server.id
}

resource "aws_security_group" "server" {
  name        = "${var.name_prefix}-server"
  description = "HybridIngest server: ingress from the load balancer only; egress HTTP(S)"
  vpc_id      = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "server_from_balancer" {
  security_group_id            = aws_security_group.server.id
  description                  = "Requests and health checks from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.server_port
  to_port                      = var.server_port
  referenced_security_group_id = aws_security_group.balancer.id
}
# Egress to the internet on HTTP(S) only: image downloads, S3, SSM Session Manager, CloudWatch
# Logs and the package repositories all use 443 or 80. DNS and NTP go to the VPC's own resolver
# and time service, which security groups do not filter.
resource "aws_vpc_security_group_egress_rule" "server_https" {
  security_group_id = aws_security_group.server.id
  description       = "HTTPS: image origins and AWS APIs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "server_http" {
  security_group_id = aws_security_group.server.id
  description       = "HTTP: image origins"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
}
