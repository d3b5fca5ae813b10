# Minimal root used by `make tf-check` to validate the module; not meant to be applied as is.
terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60.0, < 6.0.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

module "kms_key" {
  source = "../.."

  name                  = "itc-example-logs"
  description           = "itc-example: log groups and EventBridge dead letters"
  allow_cloudwatch_logs = true
  service_principals = [
    { sid = "EventBridgeDeadLettersForThisAccount", service = "events", actions = ["kms:Decrypt", "kms:GenerateDataKey"] },
  ]

  tags = { Project = "itc", Environment = "example" }
}

output "key_arn" {
  description = "ARN of the example key."
  value       = module.kms_key.key_arn
}
