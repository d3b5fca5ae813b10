output "alert_topic_arn" {
  description = "ARN of the SNS alert topic (state machines publish failures to it)."
  value       = aws_sns_topic.this.arn
}

output "alert_topic_kms_key_arn" {
  description = "ARN of the KMS key encrypting the alert topic; publishers need kms:GenerateDataKey on it."
  value       = module.kms.key_arn
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarm_arns" {
  description = "ARNs of every alarm of the module."
  value = concat(
    [for a in aws_cloudwatch_metric_alarm.metric : a.arn],
    [for a in aws_cloudwatch_metric_alarm.query : a.arn],
  )
}
