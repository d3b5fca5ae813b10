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
  description = "Code zip (dist/<lambda>.zip)."
  type        = string
}

variable "layer_package_path" {
  description = "Layer zip (dist/<lambda>-layer.zip)."
  type        = string
}

module "kms" {
  source = "../../../kms_key"

  name                  = "itc-example-function"
  description           = "itc-example-function: logs, dead-letter queue and environment"
  allow_cloudwatch_logs = true
}

data "aws_iam_policy_document" "scoped" {
  statement {
    sid       = "LandingReadOwnPrefix"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::itc-example-landing/example/*"]
  }
}

module "function" {
  source = "../.."

  name                  = "itc-example-function"
  description           = "Example function"
  handler               = "example.main.handler"
  package_path          = var.package_path
  layer_package_path    = var.layer_package_path
  environment_variables = { ITC_ENV = "beta", LOG_LEVEL = "INFO" }
  kms_key_arn           = module.kms.key_arn

  vpc_id                     = "vpc-0123456789abcdef0"
  vpc_cidr_block             = "10.40.0.0/16"
  subnet_ids                 = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  security_group_description = "itc-example-function: HTTPS to VPC endpoints and S3 only"
  gateway_prefix_list_ids    = { s3 = "pl-63a5400a" }
  additional_policy_json     = data.aws_iam_policy_document.scoped.json

  tags = { Project = "itc", Environment = "example" }
}

# A second function running the same code shares the first one's layer, group and queue.
module "second_function" {
  source = "../.."

  name                       = "itc-example-second"
  description                = "Example function sharing the first one's layer, security group and queue"
  handler                    = "example.main.handler"
  package_path               = var.package_path
  environment_variables      = { ITC_ENV = "beta", LOG_LEVEL = "INFO" }
  kms_key_arn                = module.kms.key_arn
  reserved_concurrency       = 1
  vpc_id                     = "vpc-0123456789abcdef0"
  vpc_cidr_block             = "10.40.0.0/16"
  subnet_ids                 = ["subnet-0123456789abcdef0"]
  security_group_description = "unused: the group is shared"
  shared_resources           = module.function.shared_resources
}

output "function_arn" {
  description = "ARN of the example function."
  value       = module.function.function_arn
}
