# The two audit buckets (the trail's, cloudtrail.tf, and the access logs', access_logs.tf) keep what
# they record for six years and cannot be emptied:
#   - the trail bucket is created with Object Lock, COMPLIANCE mode, default retention
#     trail_log_retention_days: no principal, the account root included, can delete a log file version
#     or shorten its retention before then;
#   - the access-log bucket cannot have Object Lock (S3 server access logging refuses a target bucket
#     with Object Lock), so its deletes are denied to every principal here instead, with no exception;
#     its writes and reads are also recorded by the trail's S3 data events of the landing bucket, which
#     are locked;
#   - on both: deleting objects or versions, and changing retention or legal holds, is denied to every
#     principal (lifecycle expiry after the retention is S3's own and not a request); every configuration
#     change (lifecycle, versioning, Object Lock, policy, ...) to all but the admin roles
#     (access_control.tf); replaced versions are kept as long as current ones;
#   - reads of the logs (s3:GetObject*) are denied to all but the auditor role (auditor_role_arn; none
#     when null), and the trail key lets only the auditor decrypt (cloudtrail.tf).
locals {
  audit_bucket_arns = {
    access_logs = "arn:${local.partition}:s3:::${local.access_log_bucket_name}"
    trail       = local.trail_bucket_arn
  }
  log_erasing_actions = [
    "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging",
    "s3:PutObjectRetention", "s3:PutObjectLegalHold", "s3:BypassGovernanceRetention",
  ]
  log_reading_actions = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes", "s3:RestoreObject"]
  auditor_role_arns   = var.auditor_role_arn == null ? [] : [var.auditor_role_arn]
}

data "aws_iam_policy_document" "audit_bucket" {
  for_each = local.audit_bucket_arns

  source_policy_documents = [data.aws_iam_policy_document.configuration_deny[each.key].json]

  statement {
    sid       = "DenyLogErasure"
    effect    = "Deny"
    actions   = local.log_erasing_actions
    resources = ["${each.value}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }

  statement {
    sid       = "DenyLogReadsExceptAuditor"
    effect    = "Deny"
    actions   = local.log_reading_actions
    resources = ["${each.value}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    dynamic "condition" {
      for_each = length(local.auditor_role_arns) > 0 ? [1] : []

      content {
        test     = "ArnNotLike"
        variable = "aws:PrincipalArn"
        values   = local.auditor_role_arns
      }
    }
  }
}
