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
  description = "Code zip (dist/verifyplus_pipeline.zip)."
  type        = string
}

variable "layer_package_path" {
  description = "Layer zip (dist/verifyplus_pipeline-layer.zip)."
  type        = string
}

module "verifyplus_pipeline" {
  source = "../.."

  name_prefix        = "itc-example"
  environment        = "beta"
  package_path       = var.package_path
  layer_package_path = var.layer_package_path

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
  }

  qb_realm     = "example.quickbase.com"
  qb_table_id  = "bexample01"
  qb_report_id = "7"

  token_admin_role_arns  = ["arn:aws:iam::111122223333:role/itc-example-deploy"]
  manifest_mac_key_arn   = "arn:aws:kms:us-east-1:111122223333:key/22222222-2222-2222-2222-222222222222"
  force_approval_key_arn = "arn:aws:kms:us-east-1:111122223333:key/33333333-3333-3333-3333-333333333333"

  tags = { Project = "itc", Environment = "example" }
}

output "function_arns" {
  description = "ARNs of the example extract and load functions."
  value       = { extract = module.verifyplus_pipeline.extract_function_arn, load = module.verifyplus_pipeline.load_function_arn }
}
