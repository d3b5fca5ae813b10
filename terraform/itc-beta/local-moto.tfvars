# Variables for `make tf-apply-local` (scripts/build/tf_apply_local.py): terraform/itc-beta applied to a
# local moto server and destroyed. Not for AWS: the account is moto's fixed test account, every ARN
# is a made-up stand-in, and deletion protection is off so the destroy can finish. No secret here.
aws_region          = "us-east-1"
allowed_account_ids = ["123456789012"]
environment         = "beta"

availability_zones     = ["us-east-1a", "us-east-1b"]
db_multi_az            = false
db_deletion_protection = false

exchange_env         = "beta"
exchange_role_arn    = "arn:aws:iam::444455556666:role/exchange-beta-itc-read"
exchange_external_id = "itc-beta"

qb_realm     = "itc-local.quickbase.com"
qb_table_id  = "bq7vrfy2x"
qb_report_id = "12"

alert_emails            = []
log_retention_days      = 365
run_migrations_on_apply = true

# moto's caller is an IAM user (arn:aws:sts::123456789012:user/moto), not a role: name the admin role.
admin_role_arns            = ["arn:aws:iam::123456789012:role/itc-beta-deploy"]
break_glass_principal_arns = ["arn:aws:iam::123456789012:user/itc-beta-oncall"]
auditor_principal_arns     = ["arn:aws:iam::123456789012:user/itc-beta-auditor"]

# The layers tf-apply-local builds carry a generated stand-in CA (scripts/build/standin_ca.py), not AWS's
# RDS bundle: allowed here only. An AWS environment keeps the default (aws-rds-global).
allowed_rds_ca_kinds = ["aws-rds-global", "rehearsal-stand-in"]
