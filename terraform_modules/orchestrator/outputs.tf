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

output "state_machine_role_arns" {
  description = "ARNs of the state machines' execution roles, one per machine (ingest, load): only the load machine's role may invoke the load functions."
  value       = { for k, r in aws_iam_role.state_machines : k => r.arn }
}

output "role_names" {
  description = "Names of the IAM roles the module creates, by what they run: orchestrator, migrate, scheduler, events, ingest_state_machine, load_state_machine."
  value = merge({
    orchestrator = module.orchestrator.role_name
    migrate      = module.migrate.role_name
    scheduler    = aws_iam_role.scheduler.name
    events       = aws_iam_role.events.name
  }, { for k, r in aws_iam_role.state_machines : "${k}_state_machine" => r.name })
}

output "migrate_role_arn" {
  description = "ARN of the migrate function's role (reads the RDS-managed master secret; the warehouse key names it)."
  value       = module.migrate.role_arn
}
