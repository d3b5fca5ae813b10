data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
}

# One customer-managed key for everything at rest that belongs to the warehouse: storage,
# snapshots, Performance Insights, the RDS-managed master secret and the exported log groups.
module "kms" {
  source = "../kms_key"

  name                  = "${var.name_prefix}-warehouse"
  description           = "${var.name_prefix} data warehouse (RDS storage, Performance Insights, master secret, logs)"
  allow_cloudwatch_logs = true

  tags = var.tags
}

# The key moved into the kms_key module: same key, same policy, never replaced (the RDS storage
