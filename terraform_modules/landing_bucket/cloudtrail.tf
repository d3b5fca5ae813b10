# ---------------------------------------------------------------------------------------------
# CloudTrail data events of the landing bucket (every object read and write, by whom) and of the
# functions in audited_function_arns (every Invoke, by whom), unless organization_trail_arn says an
# organisation trail already records them: then nothing here. The trail writes to its own versioned,
# KMS-encrypted, Object Lock (COMPLIANCE) bucket with log file validation (audit_buckets.tf).
# Management events (PutBucketPolicy, ...) are the account's management trail's concern.
# ---------------------------------------------------------------------------------------------
locals {
  own_trail        = var.organization_trail_arn == null ? 1 : 0
  trail_name       = "${var.name_prefix}-landing-data-events"
  trail_arn        = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${local.trail_name}"
  trail_bucket_arn = "arn:${local.partition}:s3:::${local.bucket_name}-trail"
}

# CloudTrail encrypts with it; only the auditor role decrypts, and only through S3 (the account keeps
# administration only once an auditor is named).
module "trail_kms" {
  source = "../kms_key"
  count  = local.own_trail

  name        = "${var.name_prefix}-landing-trail"
  description = "${var.name_prefix} CloudTrail data events of the landing bucket and ITC's functions"
  service_principals = [
    { sid = "CloudTrailEncryptLogsForThisAccount", service = "cloudtrail", actions = ["kms:GenerateDataKey*", "kms:DescribeKey"] },
  ]
  principal_grants = [for a in local.auditor_role_arns : { sid = "AuditorReadsLogsThroughS3", principal_arns = [a], actions = ["kms:Decrypt"], via_service = "s3" }]

  tags = var.tags
}

resource "aws_s3_bucket" "trail" {
  #checkov:skip=CKV_AWS_18:This bucket holds the audit log itself (CloudTrail, log file validation on); server access logs of it would be a log of the log, and reads of it are in the management trail.
  #checkov:skip=CKV_AWS_144:Audit logs stay in the region of the bucket they describe; cross-region replication is a prod DR decision.
  count = local.own_trail

  bucket              = "${local.bucket_name}-trail"
  object_lock_enabled = true

  tags = merge(var.tags, { Name = "${local.bucket_name}-trail" })
}

# Every log file is locked for the retention in COMPLIANCE mode: not even the account root can delete it
# or shorten its lock before then (audit_buckets.tf).
resource "aws_s3_bucket_object_lock_configuration" "trail" {
  count  = local.own_trail
  bucket = aws_s3_bucket.trail[0].id

  rule {
    default_retention {
      mode = "COMPLIANCE"
      days = var.trail_log_retention_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.trail]
}

resource "aws_s3_bucket_ownership_controls" "trail" {
  count  = local.own_trail
  bucket = aws_s3_bucket.trail[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "trail" {
  count                   = local.own_trail
  bucket                  = aws_s3_bucket.trail[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "trail" {
  count  = local.own_trail
  bucket = aws_s3_bucket.trail[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "trail" {
  count  = local.own_trail
  bucket = aws_s3_bucket.trail[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = module.trail_kms[0].key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "trail" {
  count  = local.own_trail
  bucket = aws_s3_bucket.trail[0].id

  rule {
    id     = "audit-retention"
    status = "Enabled"

    filter {}

    expiration {
      days = var.trail_log_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.trail_log_retention_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.trail]
}

resource "aws_s3_bucket_notification" "trail" {
  count       = local.own_trail
  bucket      = aws_s3_bucket.trail[0].id
  eventbridge = true
}

# CloudTrail of this trail only (aws:SourceArn) may check the ACL and write under AWSLogs/<account>/.
data "aws_iam_policy_document" "trail" {
  dynamic "statement" {
    for_each = {
      CloudTrailAclCheck = { actions = ["s3:GetBucketAcl"], resource = local.trail_bucket_arn, acl = [] }
      CloudTrailWrite    = { actions = ["s3:PutObject"], resource = "${local.trail_bucket_arn}/AWSLogs/${local.account_id}/*", acl = ["bucket-owner-full-control"] }
    }

    content {
      sid       = statement.key
      actions   = statement.value.actions
      resources = [statement.value.resource]

      principals {
        type        = "Service"
        identifiers = ["cloudtrail.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceArn"
        values   = [local.trail_arn]
      }

      dynamic "condition" {
        for_each = length(statement.value.acl) > 0 ? [statement.value.acl] : []

        content {
          test     = "StringEquals"
          variable = "s3:x-amz-acl"
          values   = condition.value
        }
      }
    }
  }

  # No erasure, reads by the auditor only, configuration by the admin roles (audit_buckets.tf), and
  # DenyInsecureTransport (main.tf), after the statements above.
  override_policy_documents = [data.aws_iam_policy_document.audit_bucket["trail"].json, data.aws_iam_policy_document.deny["trail"].json]
}

resource "aws_s3_bucket_policy" "trail" {
  count  = local.own_trail
  bucket = aws_s3_bucket.trail[0].id
  policy = data.aws_iam_policy_document.trail.json

  depends_on = [aws_s3_bucket_public_access_block.trail]
}

resource "aws_cloudtrail" "this" {
  #checkov:skip=CKV_AWS_67:A data-event trail for one regional bucket; the multi-region management trail is the account's (or the organisation's).
  #checkov:skip=CKV_AWS_252:Nobody subscribes to per-file delivery notices; the log bucket sends its object events to EventBridge.
  #checkov:skip=CKV2_AWS_10:The data events are the audit record, kept in S3 with log file validation; CloudWatch Logs delivery would only be a second copy (alarming on them is a monitoring decision).
  count = local.own_trail

  name                          = local.trail_name
  s3_bucket_name                = aws_s3_bucket.trail[0].id
  kms_key_id                    = module.trail_kms[0].key_arn
  enable_log_file_validation    = true
  include_global_service_events = false
  is_multi_region_trail         = false

  event_selector {
    read_write_type           = "All"
    include_management_events = false

    data_resource {
      type   = "AWS::S3::Object"
      values = ["${local.bucket_arn}/"]
    }

    # Who invoked which of ITC's functions (a load forced by hand, a replay): Lambda Invoke data events.
    dynamic "data_resource" {
      for_each = length(var.audited_function_arns) > 0 ? [1] : []

      content {
        type   = "AWS::Lambda::Function"
        values = var.audited_function_arns
      }
    }
  }

  tags = merge(var.tags, { Name = local.trail_name })

  depends_on = [aws_s3_bucket_policy.trail]
}
