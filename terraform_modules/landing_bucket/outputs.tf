output "bucket_name" {
  description = "Name of the landing bucket (ITC_LANDING_BUCKET)."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the landing bucket."
  value       = aws_s3_bucket.this.arn
}

output "bucket_kms_key_arn" {
  description = "ARN of the KMS key encrypting the landing objects (readers and writers need kms:Decrypt / kms:GenerateDataKey on it)."
  value       = var.kms_key_arn
}

output "access_log_bucket_name" {
  description = "Name of the bucket holding the landing bucket's S3 server access logs."
  value       = aws_s3_bucket.access_logs.id
}

output "access_log_bucket_arn" {
  description = "ARN of the bucket holding the landing bucket's S3 server access logs."
  value       = aws_s3_bucket.access_logs.arn
}
