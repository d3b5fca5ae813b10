output "extract_function_name" {
  description = "Name of the demand extract Lambda."
  value       = module.extract.function_name
}

output "extract_function_arn" {
  description = "ARN of the demand extract Lambda (the ingest state machine invokes it)."
  value       = module.extract.function_arn
}

output "extract_function_timeout_seconds" {
  description = "Timeout of the demand extract Lambda in seconds (its state machine task and duration alarm use it)."
  value       = module.extract.function_timeout_seconds
}

output "load_function_name" {
  description = "Name of the demand load Lambda."
  value       = module.load.function_name
}

output "load_function_arn" {
  description = "ARN of the demand load Lambda (the load state machine invokes it)."
  value       = module.load.function_arn
}

output "load_function_timeout_seconds" {
  description = "Timeout of the demand load Lambda in seconds (its state machine task and duration alarm use it)."
  value       = module.load.function_timeout_seconds
}

output "extract_role_arn" {
  description = "ARN of the extract function's role: the only demand role that writes demand/ of the landing bucket (landing bucket policy) and assumes the Exchange role (add it to that role's trust policy)."
  value       = module.extract.role_arn
}

output "extract_role_name" {
  description = "Name of the extract function's role."
  value       = module.extract.role_name
}

output "load_role_arn" {
  description = "ARN of the load function's role: reads demand/ of the landing bucket, connects as itc_loader_demand."
  value       = module.load.role_arn
}

output "load_role_name" {
  description = "Name of the load function's role."
  value       = module.load.role_name
}

output "log_group_names" {
  description = "Log group names of the functions (EMF metrics are extracted from them), by step."
  value       = { extract = module.extract.log_group_name, load = module.load.log_group_name }
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue both functions use."
  value       = module.extract.dlq_arn
}

output "dlq_name" {
  description = "Name of the dead-letter queue both functions use."
  value       = module.extract.dlq_name
}

output "security_group_ids" {
  description = "Security group of each function, by step (the load's alone sits beside the warehouse client group)."
  value       = { extract = module.extract.security_group_id, load = module.load.security_group_id }
}

output "layer_version_arn" {
  description = "ARN of the dependency layer version both functions use."
  value       = module.extract.layer_version_arn
}

output "export_tables" {
  description = "Exchange tables extracted by DynamoDB export (extract_modes); empty when every table is scanned. With exchange_role_arn set, pass that role to the landing bucket's export_writer_role_arns."
  value       = local.export_tables
}
