# The Quickbase user token's secret, encrypted with a customer-managed key (docs/design.md §6).
#
# Default (qb_token_secret_arn = null): the module creates the secret, with no value, encrypted with
# a key of its own that only the extract function uses (the load function's role has no grant on it).
# The token is then put by hand (`aws secretsmanager put-secret-value`, terraform/itc-beta/README.md),
# so it never enters code, variables or state.
# An existing secret may be given instead, with its customer-managed key (qb_token_kms_key_arn): a
# secret on the AWS-managed key is refused (the output's precondition below).
locals {
  create_qb_token_secret = var.qb_token_secret_arn == null
  qb_token_secret_arn    = local.create_qb_token_secret ? aws_secretsmanager_secret.quickbase_token[0].arn : var.qb_token_secret_arn
  qb_token_kms_key_arn   = local.create_qb_token_secret ? module.quickbase_token_key[0].key_arn : var.qb_token_kms_key_arn
  # The extract role's ARN from its name (known when planned; its path is "/"), after the role exists.
  extract_role_arn = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/${module.extract.role_name}"
}

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

# The key policy names who may use it, each only through Secrets Manager of this region: the extract
# function decrypts the token, the admin roles (token_admin_role_arns) put it; nobody else, whatever
# their IAM policies say (the account keeps administration only).
module "quickbase_token_key" {
  source = "../kms_key"
  count  = local.create_qb_token_secret ? 1 : 0

  name        = "${var.name_prefix}-verifyplus-quickbase-token"
  description = "${var.name_prefix}-verifyplus: the Quickbase user token secret"
  principal_grants = [for g in [
    { sid = "ExtractReadsTokenThroughSecretsManager", principal_arns = [local.extract_role_arn], actions = ["kms:Decrypt"] },
    { sid = "AdminsPutTokenThroughSecretsManager", principal_arns = var.token_admin_role_arns, actions = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"] },
  ] : merge(g, { via_service = "secretsmanager" }) if length(g.principal_arns) > 0]

  tags = var.tags
}

resource "aws_secretsmanager_secret" "quickbase_token" {
  #checkov:skip=CKV2_AWS_57:A Quickbase user token is issued in Quickbase's UI; no rotation Lambda can mint one. It is rotated by hand with put-secret-value (terraform/itc-beta/README.md).
  count = local.create_qb_token_secret ? 1 : 0

  name        = "${var.name_prefix}/quickbase-user-token"
  description = "Quickbase user token of the Verify+ report (the value is put by hand, never by Terraform)"
  kms_key_id  = module.quickbase_token_key[0].key_arn

  tags = var.tags
}

output "qb_token_secret_arn" {
  description = "ARN of the Quickbase token secret the extract reads (put the token into it by hand)."
  value       = local.qb_token_secret_arn

  precondition {
    condition     = var.qb_token_secret_arn == null || var.qb_token_kms_key_arn != null
    error_message = "An existing Quickbase token secret (qb_token_secret_arn) must be encrypted with a customer-managed key: set qb_token_kms_key_arn to it, or leave both null and the module creates the secret with its own key."
  }
}

output "qb_token_kms_key_arn" {
  description = "ARN of the customer-managed key encrypting the Quickbase token secret."
  value       = local.qb_token_kms_key_arn
}
