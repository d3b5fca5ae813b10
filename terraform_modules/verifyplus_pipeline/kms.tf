# The function's own key: its log group, its dead-letter queue and its environment variables.
module "kms" {
  source = "../kms_key"

  name                  = local.function_name
  description           = "${local.function_name}: logs, dead-letter queue and environment"
  allow_cloudwatch_logs = true

  tags = var.tags
}
