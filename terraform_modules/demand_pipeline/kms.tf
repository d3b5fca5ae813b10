data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
}

# The function's own key: its log group, its dead-letter queue and its environment variables.
module "kms" {
  source = "../kms_key"

  name                  = local.function_name
  description           = "${local.function_name}: logs, dead-letter queue and environment"
  allow_cloudwatch_logs = true

  tags = var.tags
}
