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

variable "package_path" {
  description = "Code zip (dist/orchestrator.zip)."
  type        = string
}

variable "layer_package_path" {
  description = "Layer zip (dist/orchestrator-layer.zip)."
  type        = string
}

module "orchestrator" {
  source = "../.."

  name_prefix        = "itc-example"
  environment        = "beta"
  package_path       = var.package_path
  layer_package_path = var.layer_package_path

  kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000"
  network = {
    vpc_id            = "vpc-0123456789abcdef0"
    vpc_cidr_block    = "10.40.0.0/16"
    subnet_ids        = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
    s3_prefix_list_id = "pl-63a5400a"
  }

  landing = {
    bucket_name = "itc-example-landing"
    bucket_arn  = "arn:aws:s3:::itc-example-landing"
    kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000"
  }

  database = {
    host                     = "itc-example-warehouse.abc.us-east-1.rds.amazonaws.com"
    name                     = "itc"
    resource_id              = "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    client_security_group_id = "sg-0123456789abcdef0"
    master_username          = "itc_admin"
    master_user_secret_arn   = "arn:aws:secretsmanager:us-east-1:111122223333:secret:rds!db-example-AbCdEf"
    kms_key_arn              = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
  }

  demand_extract_function_arn                 = "arn:aws:lambda:us-east-1:111122223333:function:itc-example-demand-extract"
  demand_extract_function_timeout_seconds     = 900
  demand_load_function_arn                    = "arn:aws:lambda:us-east-1:111122223333:function:itc-example-demand-load"
  demand_load_function_timeout_seconds        = 900
  verifyplus_extract_function_arn             = "arn:aws:lambda:us-east-1:111122223333:function:itc-example-verifyplus-extract"
  verifyplus_extract_function_timeout_seconds = 900
  verifyplus_load_function_arn                = "arn:aws:lambda:us-east-1:111122223333:function:itc-example-verifyplus-load"
  verifyplus_load_function_timeout_seconds    = 900
  alert_topic_arn                             = "arn:aws:sns:us-east-1:111122223333:itc-example-alerts"
  alert_topic_kms_key_arn                     = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000002"

  tags = { Project = "itc", Environment = "example" }
}

output "state_machine_arns" {
  description = "ARNs of the example state machines."
  value       = module.orchestrator.state_machine_arns
}
