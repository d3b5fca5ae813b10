data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
}

# Alerts carry execution ids and error text: encrypted with a key CloudWatch alarms may use.
module "kms" {
  source = "../kms_key"

  name        = "${var.name_prefix}-alerts"
  description = "${var.name_prefix} alert topic"
  service_principals = [
    { sid = "CloudWatchAlarmsPublish", service = "cloudwatch", actions = ["kms:Decrypt", "kms:GenerateDataKey*"] },
  ]

  tags = var.tags
}
