# Who may write and administer the landing bucket, as explicit denies on every other principal
# (merged into the bucket policy in main.tf):
#   - PutObject: the extract roles (writer_role_arns), the optional break-glass role and the DynamoDB export
#     writers (export_writer_role_arns, allowed under exports/ only) only;
#   - deleting objects or versions, bypassing or changing retention, and changing the bucket's
#     policy, lifecycle, versioning, Object Lock, encryption, public access block, logging or
#     notifications: the admin role only;
#   - the bucket policy itself: the admin role or the account root. S3 always lets the root user
#     of the owning account get, put and delete a bucket policy, so root recovers by replacing this
#     policy (e.g. when the admin role was deleted); listing root here states it explicitly.
# aws:PrincipalArn of a role session is the role's ARN, so ArnNotLike on it names roles, not sessions.
locals {
  writer_principal_arns = distinct(concat(var.writer_role_arns, local.break_glass_role_arns))
  account_root_arn      = "arn:${local.partition}:iam::${local.account_id}:root"

  admin_only_object_actions = [
    "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention",
    "s3:PutObjectRetention", "s3:PutObjectLegalHold",
  ]
  admin_only_bucket_actions = [
    "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning", "s3:PutBucketObjectLockConfiguration",
    "s3:PutEncryptionConfiguration", "s3:PutBucketPublicAccessBlock", "s3:PutBucketLogging",
    "s3:PutBucketNotification", "s3:PutBucketOwnershipControls", "s3:DeleteBucket",
  ]

  # sid, actions, resources, and the principals (ArnNotLike aws:PrincipalArn) the deny spares.
  access_denies = [
    { sid = "DenyPutObjectExceptWriters", actions = ["s3:PutObject"], resources = ["${local.bucket_arn}/*"], spared = concat(local.writer_principal_arns, var.export_writer_role_arns) },
    { sid = "DenyDeletesAndConfigurationExceptAdmin", actions = concat(local.admin_only_object_actions, local.admin_only_bucket_actions), resources = [local.bucket_arn, "${local.bucket_arn}/*"], spared = [var.admin_role_arn] },
    { sid = "DenyPolicyChangeExceptAdminOrRoot", actions = ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy"], resources = [local.bucket_arn], spared = [var.admin_role_arn, local.account_root_arn] },
  ]
}

data "aws_iam_policy_document" "access_control" {
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
