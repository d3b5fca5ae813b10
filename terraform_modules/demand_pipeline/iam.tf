# Each function's role, with its log group, key, queue, landing prefix `demand/` (extract: write,
# load: read) and, for the load only, its warehouse login (itc_loader_demand), is in the
# lambda_function module; here what reads the Exchange tables (extract only) and the manifest key.
locals {
  exchange_region = coalesce(var.exchange_region, local.region)
  exchange_table_arns = [
    for t in ["documents", "documents-metadata", "templates", "documents-audit"] :
    "arn:${local.partition}:dynamodb:${local.exchange_region}:${local.account_id}:table/exchange-${var.exchange_env}-${t}"
  ]

  # Tables extracted by DynamoDB export (ITC_EXTRACT_MODE; demand_pipeline/export.py).
  export_tables       = sort([for t, m in var.extract_modes : t if m == "export"])
  export_table_arns   = [for t in local.export_tables : "arn:${local.partition}:dynamodb:${local.exchange_region}:${local.account_id}:table/exchange-${var.exchange_env}-${replace(t, "_", "-")}"]
  same_account_export = var.exchange_role_arn == null && length(local.export_tables) > 0
  export_statements = concat(local.same_account_export ? [
    { sid = "ExportExchangeTables", actions = ["dynamodb:ExportTableToPointInTime", "dynamodb:DescribeTable"], resources = local.export_table_arns },
    { sid = "DescribeExchangeExports", actions = ["dynamodb:DescribeExport"], resources = [for a in local.export_table_arns : "${a}/export/*"] },
    { sid = "ExportWritesLandingExports", actions = ["s3:PutObject", "s3:AbortMultipartUpload"], resources = ["${var.landing.bucket_arn}/exports/*"] },
    ] : [], length(local.export_tables) > 0 ? [
    { sid = "ReadExportsAndPreviousSnapshots", actions = ["s3:GetObject"], resources = ["${var.landing.bucket_arn}/exports/*", "${var.landing.bucket_arn}/demand/run=*/*.jsonl.gz"] },
    { sid = "RecordExportState", actions = ["s3:PutObject"], resources = [for t in local.export_tables : "${var.landing.bucket_arn}/exports/${t}/_state.json"] },
  ] : [])
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

  # Tables in export mode (local.export_statements): same-account, this role starts the export and DynamoDB
  # writes it into exports/ as this role; cross-account (exchange_role_arn set) the Exchange role does both, and
  # the landing bucket and key policies let that role write exports/ (landing_bucket export_writer_role_arns;
  # README "Extract by DynamoDB export"). Either way the extract reads the exports and the previous snapshot
  # files an incremental export is merged onto, and records each table's export state.
  dynamic "statement" {
    for_each = local.export_statements

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }

  dynamic "statement" {
    for_each = length(local.export_tables) > 0 ? [1] : []

    content {
      sid       = "ListExports"
      actions   = ["s3:ListBucket"]
      resources = [var.landing.bucket_arn]

      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["exports/*"]
      }
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
