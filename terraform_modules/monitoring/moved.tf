# Alarm addresses before alarms.tf became two for_each resources. The keys of the RDS and quality
# alarms are fixed, so they move here; the others are keyed by the caller's inputs (functions,
# queues, state machines, sources), so the caller moves them (see README.md and
# terraform/itc-beta/moved.tf). An alarm recreated instead of moved could be deleted right after
# its replacement was written under the same name.

moved {
  from = aws_cloudwatch_metric_alarm.rds["cpu"]
  to   = aws_cloudwatch_metric_alarm.metric["rds/cpu"]
}

moved {
  from = aws_cloudwatch_metric_alarm.rds["free-storage"]
  to   = aws_cloudwatch_metric_alarm.metric["rds/free-storage"]
}

moved {
  from = aws_cloudwatch_metric_alarm.rds["connections"]
  to   = aws_cloudwatch_metric_alarm.metric["rds/connections"]
}

moved {
  from = aws_cloudwatch_metric_alarm.rds["freeable-memory"]
  to   = aws_cloudwatch_metric_alarm.metric["rds/freeable-memory"]
}

moved {
  from = aws_cloudwatch_metric_alarm.quality_check_failures
  to   = aws_cloudwatch_metric_alarm.query["quality_check_failures"]
}
