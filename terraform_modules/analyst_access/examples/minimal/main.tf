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
  description = "VPC of the example warehouse."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the example warehouse."
  type        = list(string)
}

variable "db_security_group_id" {
  description = "Security group of the example warehouse."
  type        = string
}

variable "endpoints_security_group_id" {
  description = "Security group of the example VPC's interface endpoints."
  type        = string
}

module "analyst_access" {
  source = "../.."

  name_prefix                 = "itc-example"
  vpc_id                      = var.vpc_id
  vpc_cidr_block              = "10.40.0.0/16"
  subnet_ids                  = var.subnet_ids
  db_security_group_id        = var.db_security_group_id
  db_address                  = "itc-example.abcdefghijkl.us-east-1.rds.amazonaws.com"
  endpoints_security_group_id = var.endpoints_security_group_id

  tags = { Project = "itc", Environment = "example" }
}

output "start_session_command" {
  description = "The command an analyst runs to open the tunnel."
  value       = module.analyst_access.start_session_command
}
