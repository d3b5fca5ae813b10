output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "function_timeout_seconds" {
  description = "Timeout of the function in seconds (callers' task timeouts and duration alarms read it)."
  value       = aws_lambda_function.this.timeout
}

output "function_source_code_hash" {
  description = "sha256 (base64) of the deployed code zip."
  value       = aws_lambda_function.this.source_code_hash
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the function's execution role."
  value       = aws_iam_role.this.name
}

output "log_group_name" {
  description = "Name of the function's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue the function uses (its own or the shared one)."
  value       = local.dead_letter_queue_arn
}

output "dlq_name" {
  description = "Name of the function's own dead-letter queue; null with shared_resources."
  value       = one(aws_sqs_queue.dlq[*].name)
}

output "security_group_id" {
  description = "Security group of the function (its own or the shared one)."
  value       = local.security_group_id
}

output "layer_version_arn" {
  description = "ARN of the dependency layer version the function uses."
  value       = local.layer_version_arn
}

output "layer_source_code_hash" {
  description = "sha256 (base64) of the function's own layer zip; null with shared_resources."
  value       = one(aws_lambda_layer_version.this[*].source_code_hash)
}

output "shared_resources" {
  description = "This function's layer, security group and queue, to pass as shared_resources to a second function running the same code."
  value = {
    layer_version_arn     = local.layer_version_arn
    security_group_id     = local.security_group_id
    dead_letter_queue_arn = local.dead_letter_queue_arn
  }
}
