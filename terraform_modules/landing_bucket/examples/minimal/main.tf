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

  name_prefix        = "itc-example"
  writer_role_arns   = ["arn:aws:iam::111122223333:role/itc-example-demand-extract", "arn:aws:iam::111122223333:role/itc-example-verifyplus-extract"]
  reader_role_arns   = ["arn:aws:iam::111122223333:role/itc-example-demand-load", "arn:aws:iam::111122223333:role/itc-example-verifyplus-load"]
  admin_role_arns    = ["arn:aws:iam::111122223333:role/itc-example-deploy"]
  auditor_role_arn   = "arn:aws:iam::111122223333:role/itc-example-auditor"
  replay_window_days = 730

  audited_function_arns = ["arn:aws:lambda:us-east-1:111122223333:function:itc-example-demand-load"]

  tags = { Project = "itc", Environment = "example" }
}

output "bucket_name" {
  description = "Name of the example landing bucket."
  value       = module.landing_bucket.bucket_name
}
