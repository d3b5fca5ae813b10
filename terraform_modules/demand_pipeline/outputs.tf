output "function_name" {
  description = "Name of the demand pipeline Lambda."
  value       = module.function.function_name
}

output "function_arn" {
  description = "ARN of the demand pipeline Lambda (Step Functions tasks invoke it)."
  value       = module.function.function_arn
}

output "function_timeout_seconds" {
  description = "Timeout of the demand pipeline Lambda in seconds (the state machine tasks and the duration alarm use it)."
  value       = module.function.function_timeout_seconds
}

output "role_arn" {
  description = "ARN of the function's execution role (add it to the Exchange role's trust policy)."
  value       = module.function.role_arn
}

output "role_name" {
  description = "Name of the function's execution role."
  value       = module.function.role_name
}

output "log_group_name" {
  description = "Name of the function's log group (EMF metrics are extracted from it)."
  value       = module.function.log_group_name
}

output "dlq_arn" {
  description = "ARN of the function's dead-letter queue."
  value       = module.function.dlq_arn
}

output "dlq_name" {
  description = "Name of the function's dead-letter queue."
  value       = module.function.dlq_name
}

output "security_group_id" {
  description = "Security group of the function."
  value       = module.function.security_group_id
}

output "layer_version_arn" {
  description = "ARN of the dependency layer version."
  value       = module.function.layer_version_arn
}
