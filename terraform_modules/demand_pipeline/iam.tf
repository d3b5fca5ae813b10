# The function's role, with its log group, key, queue, landing prefix `demand/` and warehouse login
# (itc_loader), is in the lambda_function module; here only what reads the Exchange tables.
locals {
  exchange_region = coalesce(var.exchange_region, local.region)
  exchange_table_arns = [
    for t in ["documents", "documents-metadata", "templates", "documents-audit"] :
    "arn:${local.partition}:dynamodb:${local.exchange_region}:${local.account_id}:table/exchange-${var.exchange_env}-${t}"
  ]
}

data "aws_iam_policy_document" "exchange" {
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
}
