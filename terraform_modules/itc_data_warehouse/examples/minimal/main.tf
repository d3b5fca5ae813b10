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

variable "vpc_id" {
  description = "VPC to place the example warehouse in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the example warehouse."
  type        = list(string)
}

module "warehouse" {
  source = "../.."

  name_prefix                = "itc-example"
  vpc_id                     = var.vpc_id
  subnet_ids                 = var.subnet_ids
  analyst_security_group_ids = { route = "sg-0123456789abcdef0" }

  key_admin_role_arns     = ["arn:aws:iam::111122223333:role/itc-example-deploy"]
  secret_reader_role_arns = ["arn:aws:iam::111122223333:role/itc-example-migrate"]

  tags = { Project = "itc", Environment = "example" }
}

output "db_instance_address" {
  description = "Address of the example warehouse."
  value       = module.warehouse.db_instance_address
}
