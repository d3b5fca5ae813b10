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

module "monitoring" {
  source = "../.."

  name_prefix  = "itc-example"
  alert_emails = ["data-oncall@example.com"]

  lambda_function_names   = { demand_pipeline = "itc-example-demand-pipeline", orchestrator = "itc-example-orchestrator" }
  lambda_timeouts_seconds = { demand_pipeline = 900, orchestrator = 900 }
  state_machine_arns = {
    ingest = "arn:aws:states:us-east-1:111122223333:stateMachine:itc-example-ingest"
    load   = "arn:aws:states:us-east-1:111122223333:stateMachine:itc-example-load"
  }
  dlq_names              = { demand_pipeline = "itc-example-demand-pipeline-dlq" }
  db_instance_identifier = "itc-example-warehouse"

  tags = { Project = "itc", Environment = "example" }
}

output "alert_topic_arn" {
  description = "ARN of the example alert topic."
  value       = module.monitoring.alert_topic_arn
}
