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

module "landing_bucket" {
  source = "../.."

  name_prefix = "itc-example"
  kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000003"

  tags = { Project = "itc", Environment = "example" }
}

output "bucket_name" {
  description = "Name of the example landing bucket."
  value       = module.landing_bucket.bucket_name
}
