# Who may write and administer the three buckets of the module (landing, trail, access logs), as
# explicit denies on every other principal (merged into the bucket policies in main.tf, cloudtrail.tf
# and access_logs.tf):
#   - PutObject into the landing bucket: the extract roles (writer_role_arns), the optional break-glass
#     role and the DynamoDB export writers (export_writer_role_arns, allowed under exports/ only) only;
#   - deleting landing objects or versions, bypassing or changing their retention: the admin roles only;
#   - every bucket configuration change, present and future, on all three buckets: the admin roles
#     only. Wildcards rather than a list, so an action S3 adds later (as replication, CORS, inventory,
#     tagging and metadata tables were) is denied by default: s3:PutBucket* (policy, ACL, CORS, logging,
#     notification, Object Lock, ownership, public access block, request payment, tagging, versioning,
#     website, ...), s3:Put*Configuration (lifecycle, replication, encryption, inventory, analytics,
#     metrics, intelligent tiering, accelerate) and s3:DeleteBucket* (the bucket, its policy, website,
#     ownership controls, metadata tables). S3 always lets the root user of the owning account get, put
#     and delete a bucket policy, so root recovers by replacing a policy (e.g. when the admin role was
#     deleted), and nobody else can;
#   - any request through an S3 access point: none is used, and one created later would be a second
#     door with its own policy (s3:CreateAccessPoint is an account-level action a bucket policy cannot
#     deny, but the bucket policy still applies to every request made through it).
# The audit buckets' own denies (no deletion at all, reads by the auditor only) are in audit_buckets.tf.
# aws:PrincipalArn of a role session is the role's ARN, so ArnNotLike on it names roles, not sessions.
locals {
  writer_principal_arns = distinct(concat(var.writer_role_arns, local.break_glass_role_arns))

  admin_only_object_actions = [
    "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention",
    "s3:PutObjectRetention", "s3:PutObjectLegalHold",
  ]
  bucket_configuration_actions = ["s3:PutBucket*", "s3:Put*Configuration", "s3:DeleteBucket*"]

  # sid, actions, resources, and the principals (ArnNotLike aws:PrincipalArn) the deny spares.
  access_denies = [
    { sid = "DenyPutObjectExceptWriters", actions = ["s3:PutObject"], resources = ["${local.bucket_arn}/*"], spared = concat(local.writer_principal_arns, var.export_writer_role_arns) },
    { sid = "DenyDeletesExceptAdmin", actions = local.admin_only_object_actions, resources = ["${local.bucket_arn}/*"], spared = var.admin_role_arns },
  ]
}

# The configuration and access-point denies, the same on each of the three buckets.
data "aws_iam_policy_document" "configuration_deny" {
  for_each = { this = local.bucket_arn, access_logs = "arn:${local.partition}:s3:::${local.access_log_bucket_name}", trail = local.trail_bucket_arn }

  statement {
    sid       = "DenyConfigurationExceptAdmin"
    effect    = "Deny"
    actions   = local.bucket_configuration_actions
    resources = [each.value]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = var.admin_role_arns
    }
  }

  statement {
    sid       = "DenyAccessPoints"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [each.value, "${each.value}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Null"
      variable = "s3:DataAccessPointArn"
      values   = ["false"]
    }
  }
}

data "aws_iam_policy_document" "access_control" {
  source_policy_documents = [data.aws_iam_policy_document.configuration_deny["this"].json]

  dynamic "statement" {
    for_each = local.access_denies

    content {
      sid       = statement.value.sid
      effect    = "Deny"
      actions   = statement.value.actions
      resources = statement.value.resources

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = "ArnNotLike"
        variable = "aws:PrincipalArn"
        values   = statement.value.spared
      }
    }
  }

  # DynamoDB writes an export as the role that started it (export_writer_role_arns, in the Exchange account):
  # a cross-account principal gets only what this Allow names, so it can write under exports/ and nowhere else.
  dynamic "statement" {
    for_each = length(var.export_writer_role_arns) > 0 ? [1] : []

    content {
      sid       = "DynamoDbExportWritersUnderExports"
      effect    = "Allow"
      actions   = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:PutObjectAcl"]
      resources = ["${local.bucket_arn}/exports/*"]

      principals {
        type        = "AWS"
        identifiers = var.export_writer_role_arns
      }
    }
  }
}
