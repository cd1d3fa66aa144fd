# A private bucket: the server writes with its instance role, people read through presigned URLs.
# Account id and region in the name make it globally unique without a random provider.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id  = data.aws_caller_identity.current.account_id
  partition   = data.aws_partition.current.partition
  bucket_name = "${var.name_prefix}-${local.account_id}-${var.region}"

  images_prefix       = "images/"
  test_images_prefix  = "test/"     # POST /test-process, the lab's smoke test
  requests_prefix     = "requests/" # the server's idempotency records, one per caller-given request_id
  server_artifact_key = "artifacts/server.zip"
}

resource "aws_s3_bucket" "images" {
  bucket        = local.bucket_name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_public_access_block" "images" {
  bucket = aws_s3_bucket.images.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "images" {
  bucket = aws_s3_bucket.images.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "images" {
  bucket = aws_s3_bucket.images.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "images" {
  bucket = aws_s3_bucket.images.id

  versioning_configuration {
    status = var.bucket_versioning ? "Enabled" : "Suspended"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "images" {
  bucket = aws_s3_bucket.images.id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    # Prefix "" (every object). moto reads the rule back as written (TF_LOG=debug), but provider
    # 5.100 waits about 55 s after writing rules whatever the backend answers (docs/performance.md).
    filter {
      prefix = ""
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  # The idempotency window: a request_id's record (and so its replayed answer) lives this long.
  rule {
    id     = "expire-request-records"
    status = "Enabled"

    filter {
      prefix = local.requests_prefix
    }

    expiration {
      days = var.request_record_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  dynamic "rule" {
    for_each = var.image_expiry_days == null ? [] : [var.image_expiry_days]

    content {
      id     = "expire-images"
      status = "Enabled"

      filter {
        prefix = local.images_prefix
      }

      expiration {
        days = rule.value
      }

      noncurrent_version_expiration {
        noncurrent_days = rule.value
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.images]
}

# Not attached in the local emulator mode: moto ignores condition operators other than
# StringEquals, so it would read this TLS-only deny as "deny everything".
resource "aws_s3_bucket_policy" "images" {
  count = local.emulated ? 0 : 1

  bucket = aws_s3_bucket.images.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.images.arn, "${aws_s3_bucket.images.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  # A policy put before the public access block exists could be judged public and rejected.
  depends_on = [aws_s3_bucket_public_access_block.images]
}

resource "aws_s3_object" "server_artifact" {
  bucket      = aws_s3_bucket.images.id
  key         = local.server_artifact_key
  source      = var.server_artifact_path
  source_hash = filemd5(var.server_artifact_path)

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.images]
}
