# The landing bucket: immutable snapshots and their manifests under Object Lock, its own KMS key
# (kms.tf), who may write and administer it (access_control.tf), the CloudTrail data events
# (cloudtrail.tf) and the bucket of its S3 server access logs (access_logs.tf).
data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition              = data.aws_partition.current.partition
  region                 = data.aws_region.current.name
  account_id             = data.aws_caller_identity.current.account_id
  bucket_name            = coalesce(var.bucket_name, "${var.name_prefix}-landing-${local.account_id}-${local.region}")
  bucket_arn             = "arn:${local.partition}:s3:::${local.bucket_name}"
  access_log_bucket_name = "${local.bucket_name}-access-logs"
}

# ---------------------------------------------------------------------------------------------
# Landing bucket: immutable snapshots s3://<landing>/<source>/run=<run_id>/<table>.jsonl.gz and
# their _manifest.json. PHI: KMS, versioned, TLS only, never public, locked for the replay window,
# expired after the retention. Object Lock can only be switched on when the bucket is created.
# ---------------------------------------------------------------------------------------------
resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication of PHI snapshots is a prod DR decision; snapshots are re-extractable from the sources and the warehouse has its own backups/PITR.
  bucket              = local.bucket_name
  object_lock_enabled = true

  tags = merge(var.tags, { Name = local.bucket_name, DataClassification = "PHI" })
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

# A snapshot cannot be overwritten, deleted or shortened (without s3:BypassGovernanceRetention, which
# the bucket policy leaves to the admin role) for the replay window after it landed.
resource "aws_s3_bucket_object_lock_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    default_retention {
      mode = "GOVERNANCE"
      days = var.replay_window_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = module.kms.key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "phi-retention"
    status = "Enabled"

    filter {}

    transition {
      days          = 30
      storage_class = "STANDARD_IA"
    }

    expiration {
      days = var.retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_retention_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  # A snapshot must stay replayable for as long as it is locked.
  lifecycle {
    precondition {
      condition     = var.retention_days >= var.replay_window_days
      error_message = "retention_days (lifecycle expiry) must be at least replay_window_days (the Object Lock retention)."
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  bucket        = aws_s3_bucket.this.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "s3/${local.bucket_name}/"

  # S3 refuses a logging target the logging service may not write (InvalidTargetBucketForLogging):
  # the access-log bucket's policy granting logging.s3.amazonaws.com (access_logs.tf) and its owner
  # enforcement must exist first, or a first apply fails (found by `make tf-apply-local`).
  depends_on = [
    aws_s3_bucket_policy.access_logs,
    aws_s3_bucket_ownership_controls.access_logs,
  ]
}

# Every object event goes to EventBridge; the orchestrator's load rule picks the manifests.
resource "aws_s3_bucket_notification" "this" {
  bucket      = aws_s3_bucket.this.id
  eventbridge = true
}

# The deny statements of both bucket policies, on every principal: TLS only, and for the landing
# bucket TLS 1.2 or later and uploads only under its key (objects_only: on `<bucket>/*` alone).
locals {
  deny_statements = [
    { sid = "DenyInsecureTransport", actions = ["s3:*"], objects_only = false, test = "Bool", variable = "aws:SecureTransport", values = ["false"] },
    { sid = "DenyOutdatedTls", actions = ["s3:*"], objects_only = false, test = "NumericLessThan", variable = "s3:TlsVersion", values = ["1.2"] },
    { sid = "DenyUnencryptedOrForeignKeyUploads", actions = ["s3:PutObject"], objects_only = true, test = "StringNotEqualsIfExists", variable = "s3:x-amz-server-side-encryption-aws-kms-key-id", values = [module.kms.key_arn] },
    { sid = "DenyNonKmsUploads", actions = ["s3:PutObject"], objects_only = true, test = "StringNotEqualsIfExists", variable = "s3:x-amz-server-side-encryption", values = ["aws:kms"] },
  ]
}

data "aws_iam_policy_document" "deny" {
  for_each = { this = aws_s3_bucket.this.arn, access_logs = aws_s3_bucket.access_logs.arn, trail = local.trail_bucket_arn }

  dynamic "statement" {
    for_each = each.key == "this" ? local.deny_statements : slice(local.deny_statements, 0, 1)

    content {
      sid       = statement.value.sid
      effect    = "Deny"
      actions   = statement.value.actions
      resources = statement.value.objects_only ? ["${each.value}/*"] : [each.value, "${each.value}/*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = statement.value.test
        variable = statement.value.variable
        values   = statement.value.values
      }
    }
  }
}

# TLS and KMS denies (above) plus who may write and administer (access_control.tf).
data "aws_iam_policy_document" "this" {
  source_policy_documents = [data.aws_iam_policy_document.deny["this"].json, data.aws_iam_policy_document.access_control.json]
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.this.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}
