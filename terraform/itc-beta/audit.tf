# Who reads the audit logs: the auditor role alone (README.md "Audit logs").
#   - the trail and access-log buckets: their policies deny every read but the auditor's, and the trail
#     key lets only the auditor decrypt (landing_bucket module, audit_buckets.tf and cloudtrail.tf);
#   - the audit log groups (pgAudit; a Session Manager log group is added to local.audit_log_group_arns):
#     CloudWatch Logs has no resource policy that binds IAM principals, and it decrypts a log group's
#     events for any reader allowed logs:GetLogEvents, so the key policy cannot limit readers either.
#     Reads are therefore limited by IAM: the auditor is allowed, and every other role ITC creates carries
#     the explicit deny of the guard policy below (an output, audit_log_guard_policy_arn, for the
#     account's other roles and permission sets; an organisation SCP is the account-wide form).
# The auditor is assumed with MFA by auditor_principal_arns; empty, by any principal of this account
# whose own IAM policy allows sts:AssumeRole on it (the account decides who audits).
locals {
  auditor_role_name = "${local.name_prefix}-auditor"
  audit_log_reads = [
    "logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery", "logs:StartLiveTail", "logs:GetLogRecord",
    "logs:GetLogGroupFields", "logs:CreateExportTask", "logs:Unmask",
  ]
  audit_log_group_resources = flatten([for a in local.audit_log_group_arns : [a, "${a}:*"]])
}

data "aws_iam_policy_document" "auditor_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = length(var.auditor_principal_arns) > 0 ? var.auditor_principal_arns : ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }

    condition {
      test     = "Bool"
      variable = "aws:MultiFactorAuthPresent"
      values   = ["true"]
    }
  }
}

resource "aws_iam_role" "auditor" {
  name                 = local.auditor_role_name
  description          = "${local.name_prefix} auditor: reads the trail, the S3 access logs and the pgAudit logs (MFA)"
  assume_role_policy   = data.aws_iam_policy_document.auditor_assume.json
  max_session_duration = 3600

  tags = local.tags
}

data "aws_iam_policy_document" "auditor" {
  statement {
    sid       = "ListAuditBuckets"
    actions   = ["s3:ListBucket", "s3:ListBucketVersions"]
    resources = local.audit_bucket_arns
  }

  statement {
    sid       = "ReadAuditLogFiles"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [for b in local.audit_bucket_arns : "${b}/*"]
  }

  dynamic "statement" {
    for_each = local.trail_kms_key_arn == null ? [] : [local.trail_kms_key_arn]

    content {
      sid       = "DecryptTrailLogs"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }

  statement {
    sid       = "ReadAuditLogGroups"
    actions   = concat(local.audit_log_reads, ["logs:DescribeLogStreams", "logs:GetQueryResults", "logs:StopQuery"])
    resources = local.audit_log_group_resources
  }
}

resource "aws_iam_role_policy" "auditor" {
  name   = "auditor"
  role   = aws_iam_role.auditor.id
  policy = data.aws_iam_policy_document.auditor.json
}

data "aws_iam_policy_document" "audit_log_guard" {
  statement {
    sid       = "DenyReadingAuditLogGroups"
    effect    = "Deny"
    actions   = local.audit_log_reads
    resources = local.audit_log_group_resources
  }
}

resource "aws_iam_policy" "audit_log_guard" {
  name        = "${local.name_prefix}-audit-log-guard"
  description = "Explicit deny of reading the ${local.name_prefix} audit log groups: for every role but the auditor"
  policy      = data.aws_iam_policy_document.audit_log_guard.json

  tags = local.tags
}

resource "aws_iam_role_policy_attachment" "audit_log_guard" {
  for_each = merge(local.itc_role_names, { for r in aws_iam_role.break_glass : "break_glass" => r.name })

  role       = each.value
  policy_arn = aws_iam_policy.audit_log_guard.arn
}
