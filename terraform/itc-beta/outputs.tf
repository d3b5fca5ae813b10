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
