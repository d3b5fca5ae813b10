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
  description = "Code zip (dist/demand_pipeline.zip)."
  type        = string
}

variable "layer_package_path" {
  description = "Layer zip (dist/demand_pipeline-layer.zip)."
  type        = string
}

module "demand_pipeline" {
  source = "../.."

  name_prefix        = "itc-example"
  environment        = "beta"
  package_path       = var.package_path
  layer_package_path = var.layer_package_path

  network = {
    vpc_id                  = "vpc-0123456789abcdef0"
    vpc_cidr_block          = "10.40.0.0/16"
    subnet_ids              = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
    s3_prefix_list_id       = "pl-63a5400a"
    dynamodb_prefix_list_id = "pl-02cd2c6b"
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
  }

  exchange_env           = "beta"
  exchange_role_arn      = "arn:aws:iam::444455556666:role/exchange-itc-read"
  exchange_external_id   = "itc-beta"
  manifest_mac_key_arn   = "arn:aws:kms:us-east-1:111122223333:key/11111111-1111-1111-1111-111111111111"
  force_approval_key_arn = "arn:aws:kms:us-east-1:111122223333:key/33333333-3333-3333-3333-333333333333"

  tags = { Project = "itc", Environment = "example" }
}

output "function_arns" {
  description = "ARNs of the example extract and load functions."
  value       = { extract = module.demand_pipeline.extract_function_arn, load = module.demand_pipeline.load_function_arn }
}
