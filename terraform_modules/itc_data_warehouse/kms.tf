data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
}

# One customer-managed key for everything at rest that belongs to the warehouse: storage,
# snapshots, Performance Insights, the RDS-managed master secret and the exported log groups.
#
# Its policy names who may use it, instead of leaving that to IAM (the account keeps administration
# only): RDS, through the roles that create and change the instance (key_admin_role_arns, kms:ViaService
# rds, grants for RDS resources only); the RDS-managed master secret through Secrets Manager, read by
# secret_reader_role_arns (the migrate function) and created by the admin roles; CloudWatch Logs for the
# exported log groups of this account.
module "kms" {
  source = "../kms_key"

  name                  = "${var.name_prefix}-warehouse"
  description           = "${var.name_prefix} data warehouse (RDS storage, Performance Insights, master secret, logs)"
  allow_cloudwatch_logs = true
  principal_grants = [for g in [
    { sid = "RdsThroughAdmins", principal_arns = var.key_admin_role_arns, via_service = "rds", grant_for_aws_resource = true, actions = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"] },
    { sid = "MasterSecretThroughAdmins", principal_arns = var.key_admin_role_arns, via_service = "secretsmanager", grant_for_aws_resource = false, actions = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"] },
    { sid = "MasterSecretReaders", principal_arns = var.secret_reader_role_arns, via_service = "secretsmanager", grant_for_aws_resource = false, actions = ["kms:Decrypt"] },
  ] : g if length(g.principal_arns) > 0]

  tags = var.tags
}

# The key moved into the kms_key module: same key, same policy, never replaced (the RDS storage
