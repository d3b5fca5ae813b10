# Remote state: an S3 bucket (versioned, encrypted) plus a DynamoDB lock table, both created
# once per account before the first `terraform init` (README.md, "Bootstrap").
# Account-specific values come from a partial configuration so none is committed:
#   terraform init -backend-config=backend.hcl      (copy backend.hcl.example)
terraform {
  backend "s3" {
    key     = "itc/beta/terraform.tfstate"
    encrypt = true
  }
}
