output "db_instance_identifier" {
  description = "RDS instance identifier (CloudWatch dimension DBInstanceIdentifier)."
  value       = aws_db_instance.this.identifier
}

output "db_instance_arn" {
  description = "ARN of the RDS instance."
  value       = aws_db_instance.this.arn
}

output "db_instance_resource_id" {
  description = "DBI resource ID, used in rds-db:connect IAM policy ARNs."
  value       = aws_db_instance.this.resource_id
}

output "db_instance_address" {
  description = "DNS name of the instance (ITC_DB_HOST)."
  value       = aws_db_instance.this.address
}

output "db_instance_port" {
  description = "Port of the instance (ITC_DB_PORT)."
  value       = aws_db_instance.this.port
}

output "db_instance_database_name" {
  description = "Name of the warehouse database (ITC_DB_NAME)."
  value       = aws_db_instance.this.db_name
}

output "db_instance_master_username" {
  description = "Master user name."
  value       = aws_db_instance.this.username
}

output "db_instance_master_user_secret_arn" {
  description = "ARN of the RDS-managed Secrets Manager secret holding the master credentials."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "db_security_group_id" {
  description = "Security group of the database."
  value       = aws_security_group.this.id
}

output "db_client_security_group_id" {
  description = "Security group to attach to anything that connects to the warehouse."
  value       = aws_security_group.client.id
}

output "kms_key_arn" {
  description = "ARN of the warehouse KMS key (needed by clients that read the master secret)."
  value       = module.kms.key_arn
}

output "log_group_names" {
  description = "Names of the exported PostgreSQL log groups, by export type."
  value       = { for k, g in aws_cloudwatch_log_group.exports : k => g.name }
}

output "audit_log_group_arns" {
  description = "ARNs of the log groups holding audit records (the postgresql export: pgAudit), which only the auditor role reads."
  value       = [aws_cloudwatch_log_group.exports["postgresql"].arn]
}
