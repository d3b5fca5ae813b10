# One customer-managed key: rotation on, an alias, and a policy that keeps administration with the
# account and lets only the named AWS services of this account use it.
data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  dns_suffix = data.aws_partition.current.dns_suffix

  # With principal_grants the account keeps administration only (IAM policies alone can no longer
  # grant encrypt/decrypt, nor kms:CreateGrant); PutKeyPolicy stays with the account, so root can
  # always rewrite the policy to recover. Without them, IAM policies of the account decide (kms:*).
  restricted_use = length(var.principal_grants) > 0
  hmac           = startswith(var.key_spec, "HMAC_")
  administration_actions = [
    "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey", "kms:DisableKey",
    "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:Get*", "kms:List*",
    "kms:PutKeyPolicy", "kms:RevokeGrant", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion",
    "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription",
  ]

  account_administration = {
    Sid       = "AccountAdministration"
    Effect    = "Allow"
    Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
    Action    = local.restricted_use ? local.administration_actions : ["kms:*"]
    Resource  = "*"
  }

  # Named IAM principals of this account, optionally only through one AWS service (kms:ViaService);
  # kms:CreateGrant only for grants an AWS service makes for its resources (kms:GrantIsForAWSResource,
  # e.g. RDS encrypting its storage with the key).
  principals = [for g in var.principal_grants : merge({
    Sid       = g.sid
    Effect    = "Allow"
    Principal = { AWS = g.principal_arns }
    Action    = g.actions
    Resource  = "*"
    }, g.via_service == null && !g.grant_for_aws_resource ? {} : {
    Condition = merge(
      g.via_service == null ? {} : { StringEquals = { "kms:ViaService" = "${g.via_service}.${local.region}.${local.dns_suffix}" } },
      g.grant_for_aws_resource ? { Bool = { "kms:GrantIsForAWSResource" = "true" } } : {},
    )
  })]

  # Log groups of this account (and region) only, named by the encryption context CloudWatch Logs sends.
  cloudwatch_logs = [for _ in var.allow_cloudwatch_logs ? [1] : [] : {
    Sid       = "CloudWatchLogsForThisAccount"
    Effect    = "Allow"
    Principal = { Service = "logs.${local.region}.${local.dns_suffix}" }
    Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    Resource  = "*"
    Condition = {
      ArnLike = {
        "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"
      }
    }
  }]

  # Other services, acting for this account only.
  services = [for s in var.service_principals : {
    Sid       = s.sid
    Effect    = "Allow"
    Principal = { Service = "${s.service}.${local.dns_suffix}" }
    Action    = s.actions
    Resource  = "*"
    Condition = {
      StringEquals = { "aws:SourceAccount" = local.account_id }
    }
  }]
}

resource "aws_kms_key" "this" {
  description              = var.description
  customer_master_key_spec = var.key_spec
  key_usage                = local.hmac ? "GENERATE_VERIFY_MAC" : "ENCRYPT_DECRYPT"
  enable_key_rotation      = var.key_spec == "SYMMETRIC_DEFAULT" # KMS cannot rotate an HMAC key
  deletion_window_in_days  = var.deletion_window_in_days

  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat([local.account_administration], local.cloudwatch_logs, local.services, local.principals)
  })

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}
