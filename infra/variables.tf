variable "region" {
  type        = string
  description = "AWS region for every resource of the stack."
  default     = "us-east-1"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as us-east-1 or eu-central-1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name (bucket, roles, function, server group, load balancer). Lowercase letters, digits and hyphens; 3 to 20 characters so that derived names stay within AWS limits."
  default     = "hybrid-ingest"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-20 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "architecture" {
  type        = string
  description = "CPU architecture of both artifacts, the function and the instance: x86_64 or arm64 (Graviton). Must match how `hybrid package --arch` built the artifacts."
  default     = "x86_64"
  nullable    = false

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "instance_type" {
  type        = string
  description = "EC2 instance type of the server. Null picks t3.micro for x86_64 and t4g.micro for arm64; an explicit type must match the architecture."
  default     = null

  validation {
    condition     = var.instance_type == null || can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must be an EC2 instance type such as t3.micro or c7g.large."
  }
}

variable "server_port" {
  type        = number
  description = "TCP port the server listens on; the only port the function may reach it on. Unprivileged (1024-65535) because the service runs as an unprivileged user."
  default     = 8080
  nullable    = false

  validation {
    condition     = var.server_port == floor(var.server_port) && var.server_port >= 1024 && var.server_port <= 65535
    error_message = "server_port must be an integer from 1024 to 65535."
  }
}

variable "lambda_memory_mb" {
  type        = number
  description = "Memory of the function in MB (Lambda's range: 128-10240). CPU share grows with it."
  default     = 512
  nullable    = false

  validation {
    condition     = var.lambda_memory_mb == floor(var.lambda_memory_mb) && var.lambda_memory_mb >= 128 && var.lambda_memory_mb <= 10240
    error_message = "lambda_memory_mb must be an integer from 128 to 10240."
  }
}

variable "lambda_timeout_s" {
  type        = number
  description = "Function timeout in seconds (Lambda's range: 1-900). The function derives its call timeout to the server from it."
  default     = 30
  nullable    = false

  validation {
    condition     = var.lambda_timeout_s == floor(var.lambda_timeout_s) && var.lambda_timeout_s >= 1 && var.lambda_timeout_s <= 900
    error_message = "lambda_timeout_s must be an integer from 1 to 900."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the function's and the server's CloudWatch log groups, in days; one of the values CloudWatch Logs accepts."
  default     = 14
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "alarm_email" {
  type        = string
  description = "An e-mail address subscribed to the alarms' SNS topic (AWS mails a confirmation link first); null subscribes nobody, and the alarms still show on the dashboard and in the console."
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be null or an e-mail address such as ops@example.com."
  }
}

variable "alarm_p99_latency_ms" {
  type        = number
  description = "The latency alarm fires when the function's p99 duration stays above this many milliseconds for 15 minutes (3 periods of 5). Download time dominates it: set it from your images' sizes and origins."
  default     = 5000
  nullable    = false

  validation {
    condition     = var.alarm_p99_latency_ms >= 10 && var.alarm_p99_latency_ms <= 900000
    error_message = "alarm_p99_latency_ms must be between 10 and 900000 (Lambda's 15-minute limit)."
  }
}

variable "force_destroy" {
  type        = bool
  description = "Let `terraform destroy` delete the bucket with every object (and version) in it. True so that destroy leaves nothing behind; set false to make destroy fail while images remain."
  default     = true
  nullable    = false
}

variable "bucket_versioning" {
  type        = bool
  description = "Keep previous versions of overwritten or deleted objects."
  default     = false
  nullable    = false
}

variable "image_expiry_days" {
  type        = number
  description = "Delete stored images (images/*) this many days after upload; null keeps them."
  default     = null

  validation {
    condition     = var.image_expiry_days == null || try(var.image_expiry_days == floor(var.image_expiry_days) && var.image_expiry_days >= 1, false)
    error_message = "image_expiry_days must be null or a whole number of days >= 1."
  }
}

variable "request_record_days" {
  type        = number
  description = "The idempotency window: the server's record of a caller-given request_id (requests/*), whose answer a retry with that id gets back, is deleted this many days after it was written."
  default     = 1
  nullable    = false

  validation {
    condition     = var.request_record_days == floor(var.request_record_days) && var.request_record_days >= 1
    error_message = "request_record_days must be a whole number of days >= 1 (S3 lifecycle rules count in days)."
  }
}

variable "server_min" {
  type        = number
  description = "Fewest server instances the group keeps running (and starts with at least). 1 or more: the function has nothing to call without one."
  default     = 1
  nullable    = false

  validation {
    condition     = var.server_min == floor(var.server_min) && var.server_min >= 1 && var.server_min <= 100
    error_message = "server_min must be a whole number from 1 to 100."
  }
}

variable "server_max" {
  type        = number
  description = "Most server instances target tracking may scale out to (an instance refresh may briefly run twice the group's size). With lambda_reserved_concurrency null, the function's reserved concurrency is server_max x 64."
  default     = 2
  nullable    = false

  validation {
    condition     = var.server_max == floor(var.server_max) && var.server_max >= 1 && var.server_max <= 100
    error_message = "server_max must be a whole number from 1 to 100."
  }
}

variable "server_desired" {
  type        = number
  description = "Server instances the group starts with, from server_min to server_max. Afterwards target tracking owns the group's size: a later apply does not reset it."
  default     = 1
  nullable    = false

  validation {
    condition     = var.server_desired == floor(var.server_desired) && var.server_desired >= 1 && var.server_desired <= 100
    error_message = "server_desired must be a whole number from 1 to 100 (and from server_min to server_max)."
  }
}

variable "server_target_requests_per_minute" {
  type        = number
  description = "Target tracking keeps the load balancer's requests per instance per minute near this, adding instances above it and removing them below. 900 (15 per second) is sized for a t3.micro and images of about 200 KB: see docs/scaling.md before changing instance_type or for larger images."
  default     = 900
  nullable    = false

  validation {
    condition     = var.server_target_requests_per_minute == floor(var.server_target_requests_per_minute) && var.server_target_requests_per_minute >= 1
    error_message = "server_target_requests_per_minute must be a whole number of requests, 1 or more."
  }
}

variable "lambda_reserved_concurrency" {
  type        = number
  description = "Concurrent executions reserved for the function, which are also its ceiling. Null: sized to the server tier, server_max x 64 (each server works on 64 requests at once). -1: no reservation (the function shares the account's unreserved pool); needed on an account whose concurrency limit leaves no room for the reservation plus Lambda's 100 unreserved (new accounts may have a limit of 10)."
  default     = null

  validation {
    condition     = var.lambda_reserved_concurrency == null || try(var.lambda_reserved_concurrency == floor(var.lambda_reserved_concurrency) && (var.lambda_reserved_concurrency == -1 || var.lambda_reserved_concurrency >= 1), false)
    error_message = "lambda_reserved_concurrency must be null (sized to the server tier), -1 (no reservation) or a whole number of 1 or more (0 would throttle every call)."
  }
}

variable "server_artifact_path" {
  type        = string
  description = "Path of the server package (`hybrid package` writes it), relative to the working directory. Uploaded to the bucket; a new package rolls out to the server group by instance refresh."
  default     = "../artifacts/server.zip"
  nullable    = false
}

variable "lambda_artifact_path" {
  type        = string
  description = "Path of the function package holding the Native AOT `bootstrap` (`hybrid package` writes it), relative to the working directory."
  default     = "../artifacts/lambda.zip"
  nullable    = false
}

variable "aws_endpoint_url" {
  type        = string
  description = "Local emulator mode: an AWS API endpoint such as moto_server's http://127.0.0.1:PORT that every service of the stack is sent to, with dummy credentials. Null (default) deploys to AWS."
  default     = null

  validation {
    condition     = var.aws_endpoint_url == null || can(regex("^https?://[^/\\s]+/?$", var.aws_endpoint_url))
    error_message = "aws_endpoint_url must be null or an http(s) URL with no path, such as http://127.0.0.1:5000."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource (provider default_tags)."
  default     = { Project = "HybridIngest" }
  nullable    = false

  validation {
    condition = alltrue([
      for key, value in var.tags :
      length(key) >= 1 && length(key) <= 128 && length(value) <= 256 && !startswith(lower(key), "aws:")
    ])
    error_message = "tags keys must be 1-128 characters and not start with \"aws:\" (reserved); values at most 256 characters."
  }
}
