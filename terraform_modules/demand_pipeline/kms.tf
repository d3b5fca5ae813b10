data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
}

# The pipeline's own key: both functions' log groups, their dead-letter queue and environments.
module "kms" {
  source = "../kms_key"

  name                  = local.key_name
  description           = "${local.key_name}: logs, dead-letter queue and environment"
  allow_cloudwatch_logs = true

  tags = var.tags
}
