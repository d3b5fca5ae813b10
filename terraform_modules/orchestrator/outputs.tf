output "function_name" {
  description = "Name of the orchestrator Lambda (refresh, quality)."
  value       = module.orchestrator.function_name
}

output "function_arn" {
  description = "ARN of the orchestrator Lambda (refresh, quality)."
  value       = module.orchestrator.function_arn
}

output "function_timeout_seconds" {
  description = "Timeout of the orchestrator Lambda in seconds (the load state machine's refresh and quality tasks use it)."
  value       = module.orchestrator.function_timeout_seconds
}

output "migrate_function_name" {
  description = "Name of the migrate Lambda (orchestrator code, mode migrate)."
  value       = module.migrate.function_name
}

output "migrate_function_arn" {
  description = "ARN of the migrate Lambda."
  value       = module.migrate.function_arn
}

output "migrate_function_timeout_seconds" {
  description = "Timeout of the migrate Lambda in seconds."
  value       = module.migrate.function_timeout_seconds
}

output "function_log_group_names" {
  description = "Log group names of the orchestrator and migrate functions, by function key."
  value       = { orchestrator = module.orchestrator.log_group_name, migrate = module.migrate.log_group_name }
}

output "state_machine_arns" {
  description = "ARNs of the ingest and load state machines, by name."
  value       = { for k, m in aws_sfn_state_machine.this : k => m.arn }
}

output "state_machine_log_group_names" {
  description = "Log group names of the state machines, by name."
  value       = { for k, g in aws_cloudwatch_log_group.state_machines : k => g.name }
}

output "dlq_name" {
  description = "Name of the orchestrator functions' dead-letter queue."
  value       = module.orchestrator.dlq_name
}

output "events_dlq_name" {
  description = "Name of the dead-letter queue of the schedule and the manifest rule."
  value       = aws_sqs_queue.events_dlq.name
}

output "ingest_schedule_arn" {
  description = "ARN of the daily ingest schedule."
  value       = aws_scheduler_schedule.ingest.arn
}

output "manifest_rule_arn" {
  description = "ARN of the EventBridge rule starting the load state machine."
  value       = aws_cloudwatch_event_rule.manifest_created.arn
}

output "migration_result" {
  description = "Summary returned by the migrate function during this apply (null when not run)."
  value       = try(jsondecode(aws_lambda_invocation.migrate[0].result), null)
}
