output "bucket_name" {
  description = "Name of the landing bucket (ITC_LANDING_BUCKET)."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the landing bucket."
  value       = aws_s3_bucket.this.arn
}

output "bucket_kms_key_arn" {
  description = "ARN of the landing bucket's own KMS key (its key policy lets only writer_role_arns, reader_role_arns and the break-glass role use it, through S3)."
  value       = module.kms.key_arn
}

output "access_log_bucket_name" {
  description = "Name of the bucket holding the landing bucket's S3 server access logs."
  value       = aws_s3_bucket.access_logs.id
}

output "access_log_bucket_arn" {
  description = "ARN of the bucket holding the landing bucket's S3 server access logs."
  value       = aws_s3_bucket.access_logs.arn
}

output "object_lock_retention_days" {
  description = "Default Object Lock (GOVERNANCE) retention of every landed object: the replay window in days."
  value       = aws_s3_bucket_object_lock_configuration.this.rule[0].default_retention[0].days
}

output "data_event_trail_arn" {
  description = "ARN of the trail recording the bucket's S3 data events: the module's own, or organization_trail_arn."
  value       = local.own_trail == 1 ? aws_cloudtrail.this[0].arn : var.organization_trail_arn
}

output "trail_bucket_arn" {
  description = "ARN of the bucket holding the module's CloudTrail logs (Object Lock COMPLIANCE); null with organization_trail_arn."
  value       = local.own_trail == 1 ? aws_s3_bucket.trail[0].arn : null
}

output "trail_kms_key_arn" {
  description = "ARN of the key encrypting the module's CloudTrail logs (only the auditor role decrypts); null with organization_trail_arn."
  value       = local.own_trail == 1 ? module.trail_kms[0].key_arn : null
}

output "trail_log_retention_days" {
  description = "Object Lock (COMPLIANCE) retention of every trail log file, in days."
  value       = var.trail_log_retention_days
}
