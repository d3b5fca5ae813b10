output "function_name" {
  description = "Name of the Verify+ pipeline Lambda."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the Verify+ pipeline Lambda (Step Functions tasks invoke it)."
  value       = aws_lambda_function.this.arn
}

output "role_arn" {
  description = "ARN of the function's execution role ."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the function's execution role."
  value       = aws_iam_role.this.name
}

output "log_group_name" {
  description = "Name of the function's log group (EMF metrics are extracted from it)."
  value       = aws_cloudwatch_log_group.this.name
}

output "dlq_arn" {
  description = "ARN of the function's dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "dlq_name" {
  description = "Name of the function's dead-letter queue."
  value       = aws_sqs_queue.dlq.name
}

output "security_group_id" {
  description = "Security group of the function."
  value       = aws_security_group.this.id
}

output "layer_version_arn" {
  description = "ARN of the dependency layer version."
  value       = aws_lambda_layer_version.this.arn
}
