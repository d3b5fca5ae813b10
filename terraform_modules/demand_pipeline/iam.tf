# Each function's role, with its log group, key, queue, landing prefix `demand/` (extract: write,
# load: read) and, for the load only, its warehouse login (itc_loader_demand), is in the
# lambda_function module; here what reads the Exchange tables (extract only) and the manifest key.
locals {
  exchange_region = coalesce(var.exchange_region, local.region)
  exchange_table_arns = [
    for t in ["documents", "documents-metadata", "templates", "documents-audit"] :
    "arn:${local.partition}:dynamodb:${local.exchange_region}:${local.account_id}:table/exchange-${var.exchange_env}-${t}"
  ]
}

data "aws_iam_policy_document" "extract" {
  # Cross-account read of the Exchange tables happens through the Exchange account's role.
  dynamic "statement" {
    for_each = var.exchange_role_arn == null ? [] : [var.exchange_role_arn]

    content {
      sid       = "AssumeExchangeReadRole"
      actions   = ["sts:AssumeRole"]
      resources = [statement.value]
    }
  }

  # Same-account Exchange tables (a test or sandbox account): read the four named tables only.
  dynamic "statement" {
    for_each = var.exchange_role_arn == null ? [1] : []

    content {
      sid       = "ScanExchangeTables"
      actions   = ["dynamodb:Scan", "dynamodb:DescribeTable"]
      resources = local.exchange_table_arns
    }
  }

  # The extract signs the manifest it writes (issue 11 item 2).
  dynamic "statement" {
    for_each = var.manifest_mac_key_arn == null ? [] : [var.manifest_mac_key_arn]

    content {
      sid       = "SignManifest"
      actions   = ["kms:GenerateMac"]
      resources = [statement.value]
    }
  }
}

# The load verifies the manifest's signature before reading any file; nothing else beyond the module's
# (passed only with a key: see main.tf).
data "aws_iam_policy_document" "load" {
  dynamic "statement" {
    for_each = var.manifest_mac_key_arn == null ? [] : [var.manifest_mac_key_arn]

    content {
      sid       = "VerifyManifest"
      actions   = ["kms:VerifyMac"]
      resources = [statement.value]
    }
  }

}
