# The pipeline's own key: both functions' log groups, their dead-letter queue and environments.
module "kms" {
  source = "../kms_key"

  name                  = local.key_name
  description           = "${local.key_name}: logs, dead-letter queue and environment"
  allow_cloudwatch_logs = true

  tags = var.tags
}
