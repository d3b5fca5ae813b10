# Each function's role, with its log group, key, queue, landing prefix `verifyplus/` (extract: write,
# load: read) and, for the load only, its warehouse login (itc_loader_verifyplus), is in the
# lambda_function module; here what reads the Quickbase token (extract only) and the manifest key.
data "aws_iam_policy_document" "extract" {
  statement {
    sid       = "QuickbaseTokenSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [local.qb_token_secret_arn]
  }

  dynamic "statement" {
    for_each = local.qb_token_kms_key_arn == null ? [] : [local.qb_token_kms_key_arn]

    content {
      sid       = "QuickbaseTokenKey"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }

  # The extract signs the manifest it writes (docs/design.md §6).
  dynamic "statement" {
    for_each = var.manifest_mac_key_arn == null ? [] : [var.manifest_mac_key_arn]

    content {
      sid       = "SignManifest"
      actions   = ["kms:GenerateMac"]
      resources = [statement.value]
    }
  }
}

# The load verifies the manifest's signature before reading any file, and a forced load's approval; nothing
# else beyond the module's (passed only with a key: see main.tf).
data "aws_iam_policy_document" "load" {
  dynamic "statement" {
    for_each = var.manifest_mac_key_arn == null ? [] : [var.manifest_mac_key_arn]

    content {
      sid       = "VerifyManifest"
      actions   = ["kms:VerifyMac"]
      resources = [statement.value]
    }
  }

  # A forced load carries an approval MAC'd with the force-approval key, which only the break-glass role
  # may sign with (terraform/itc-beta/manifest_mac.tf); the load verifies it.
  dynamic "statement" {
    for_each = var.force_approval_key_arn == null ? [] : [var.force_approval_key_arn]

    content {
      sid       = "VerifyForceApproval"
      actions   = ["kms:VerifyMac"]
      resources = [statement.value]
    }
  }
}
