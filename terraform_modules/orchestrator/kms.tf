data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
}

# The orchestration key: landing bucket objects (PHI), the module's log groups, queues,
# environment variables, state machine data and the schedule.
module "kms" {
  source = "../kms_key"

  name                  = "${var.name_prefix}-orchestration"
  description           = "${var.name_prefix} orchestration: landing bucket, logs, queues, state machines"
  allow_cloudwatch_logs = true
  service_principals = [
    { sid = "EventBridgeDeadLettersForThisAccount", service = "events", actions = ["kms:Decrypt", "kms:GenerateDataKey"] },
  ]

  tags = var.tags
}
