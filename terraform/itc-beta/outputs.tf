output "vpc_id" {
  description = "ID of the environment's VPC."
  value       = module.vpc.vpc_id
}

output "nat_gateway_public_ips" {
  description = "Egress IPs of the environment (for a Quickbase IP allow-list, if used)."
  value       = module.vpc.nat_gateway_public_ips
}

output "warehouse_address" {
  description = "Host name analysts and Lambdas connect to (sslmode=verify-full)."
  value       = module.warehouse.db_instance_address
}

output "warehouse_port" {
  description = "PostgreSQL port of the warehouse."
  value       = module.warehouse.db_instance_port
}

output "warehouse_master_user_secret_arn" {
  description = "ARN of the RDS-managed master secret (break-glass only)."
  value       = module.warehouse.db_instance_master_user_secret_arn
}

output "landing_bucket_name" {
  description = "Landing bucket (drop a snapshot + _manifest.json here to load it)."
  value       = module.landing_bucket.bucket_name
}

output "state_machine_arns" {
  description = "ARNs of the ingest and load state machines."
  value       = module.orchestrator.state_machine_arns
}

output "migrate_function_name" {
  description = "Lambda to invoke with {\"mode\": \"migrate\"} to apply the SQL scripts by hand."
  value       = module.orchestrator.migrate_function_name
}

output "demand_pipeline_role_arn" {
  description = "Role to trust in the Exchange account's read role: the demand extract function's (the load role cannot assume it)."
  value       = module.demand_pipeline.extract_role_arn
}

output "alert_topic_arn" {
  description = "SNS alert topic."
  value       = module.monitoring.alert_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the environment."
  value       = module.monitoring.dashboard_name
}

output "qb_token_secret_arn" {
  description = "Secrets Manager secret the Verify+ extract reads the Quickbase token from (customer-managed key); put the token in it (README)."
  value       = module.verifyplus_pipeline.qb_token_secret_arn
}

output "manifest_mac_key_arns" {
  description = "ARNs of the per-source manifest-signing HMAC keys (ITC_MANIFEST_MAC_KEY_ID of each source's functions)."
  value       = { for source, key in module.manifest_mac_key : source => key.key_arn }
}

output "force_approval_key_arn" {
  description = "ARN of the force-approval HMAC key (ITC_FORCE_APPROVAL_KEY_ID of the load functions): only the break-glass role signs with it (`itc approve-force`)."
  value       = module.force_approval_key.key_arn
}

output "break_glass_role_arn" {
  description = "ARN of the break-glass role (assumed with MFA by break_glass_principal_arns); null when none is named."
  value       = one(local.break_glass_role_arns)
}

output "auditor_role_arn" {
  description = "ARN of the auditor role, the only reader of the trail, the S3 access logs and the pgAudit logs (assumed with MFA)."
  value       = aws_iam_role.auditor.arn
}

output "guard_policy_arns" {
  description = "Managed policies of explicit denies to attach to the account's other roles and permission sets: `load_invoke` (invoking a load function), `audit_log` (reading the audit log groups)."
  value       = { load_invoke = aws_iam_policy.load_invoke_guard.arn, audit_log = aws_iam_policy.audit_log_guard.arn }
}
