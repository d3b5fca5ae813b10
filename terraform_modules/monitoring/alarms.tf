locals {
  alarm_actions = [aws_sns_topic.this.arn]
  ns            = var.metric_namespace
}

# ---------------------------------------------------------------------------------------------
# Lambda: errors, throttles, duration close to the timeout.
# ---------------------------------------------------------------------------------------------
resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each = var.lambda_function_names

  alarm_name          = "${var.name_prefix}-${each.key}-errors"
  alarm_description   = "${each.value} returned errors (see its log group)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  for_each = var.lambda_function_names

  alarm_name          = "${var.name_prefix}-${each.key}-throttles"
  alarm_description   = "${each.value} was throttled (reserved concurrency reached)."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "lambda_duration" {
  for_each = var.lambda_function_names

  alarm_name          = "${var.name_prefix}-${each.key}-duration"
  alarm_description   = "${each.value} ran longer than ${floor(var.lambda_duration_alarm_ratio * 100)}% of its timeout: it will soon time out."
  namespace           = "AWS/Lambda"
  metric_name         = "Duration"
  dimensions          = { FunctionName = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = floor(var.lambda_timeouts_seconds[each.key] * 1000 * var.lambda_duration_alarm_ratio)
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "dlq_messages" {
  for_each = var.dlq_names

  alarm_name          = "${var.name_prefix}-${each.key}-dlq-not-empty"
  alarm_description   = "Dead-letter queue ${each.value} holds failed events: inspect and redrive them."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions

  tags = var.tags
}

# ---------------------------------------------------------------------------------------------
# Step Functions: failed and timed-out executions.
# ---------------------------------------------------------------------------------------------
locals {
  sfn_alarms = merge([
    for name, arn in var.state_machine_arns : {
      for metric in ["ExecutionsFailed", "ExecutionsTimedOut"] :
      "${name}-${metric}" => { name = name, arn = arn, metric = metric }
    }
  ]...)
}

resource "aws_cloudwatch_metric_alarm" "state_machine" {
  for_each = local.sfn_alarms

  alarm_name          = "${var.name_prefix}-${each.value.name}-${lower(each.value.metric)}"
  alarm_description   = "The ${each.value.name} state machine had ${each.value.metric} (its execution history names the failing step)."
  namespace           = "AWS/States"
  metric_name         = each.value.metric
  dimensions          = { StateMachineArn = each.value.arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions

  tags = var.tags
}

# ---------------------------------------------------------------------------------------------
# RDS: CPU, storage, connections, memory.
# ---------------------------------------------------------------------------------------------
locals {
  rds_alarms = {
    cpu = {
      metric      = "CPUUtilization", statistic = "Average", operator = "GreaterThanThreshold"
      threshold   = var.db_cpu_threshold_percent, periods = 3
      description = "Warehouse CPU above ${var.db_cpu_threshold_percent}% for 15 minutes."
    }
    free-storage = {
      metric      = "FreeStorageSpace", statistic = "Minimum", operator = "LessThanThreshold"
      threshold   = var.db_free_storage_threshold_bytes, periods = 1
      description = "Warehouse free storage below ${var.db_free_storage_threshold_bytes} bytes."
    }
    connections = {
      metric      = "DatabaseConnections", statistic = "Maximum", operator = "GreaterThanThreshold"
      threshold   = var.db_connections_threshold, periods = 2
      description = "Warehouse connections above ${var.db_connections_threshold}."
    }
    freeable-memory = {
      metric      = "FreeableMemory", statistic = "Minimum", operator = "LessThanThreshold"
      threshold   = var.db_free_memory_threshold_bytes, periods = 3
      description = "Warehouse freeable memory below ${var.db_free_memory_threshold_bytes} bytes for 15 minutes."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "rds" {
  for_each = local.rds_alarms

  alarm_name          = "${var.name_prefix}-warehouse-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/RDS"
  metric_name         = each.value.metric
  dimensions          = { DBInstanceIdentifier = var.db_instance_identifier }
  statistic           = each.value.statistic
  period              = 300
  evaluation_periods  = each.value.periods
  comparison_operator = each.value.operator
  threshold           = each.value.threshold
  treat_missing_data  = "missing"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

# ---------------------------------------------------------------------------------------------
# The pipeline's own metrics (CloudWatch embedded-metric logs, namespace var.metric_namespace).
# Rejections and quality failures use Metrics Insights queries, which match whatever other
# dimensions (e.g. `service`) the emitter adds; freshness needs a one-day window, longer than
# Metrics Insights alarms allow, so it uses the plain metric with its exact dimension set
# {Source, service} as the orchestrator's quality step emits it.
# ---------------------------------------------------------------------------------------------
resource "aws_cloudwatch_metric_alarm" "records_rejected" {
  for_each = toset(var.sources)

  alarm_name          = "${var.name_prefix}-${each.key}-records-rejected"
  alarm_description   = "The ${each.key} load rejected records: see ops.rejected_records for reason codes."
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.records_rejected_threshold
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions

  metric_query {
    id          = "rejected"
    expression  = "SELECT SUM(RecordsRejected) FROM \"${local.ns}\" WHERE Source = '${each.key}'"
    period      = 3600
    return_data = true
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "quality_check_failures" {
  alarm_name          = "${var.name_prefix}-quality-check-failures"
  alarm_description   = "A warehouse quality check failed: see ops.quality_results for the Check and its details."
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions

  metric_query {
    id          = "failures"
    expression  = "SELECT SUM(QualityCheckFailures) FROM \"${local.ns}\""
    period      = 3600
    return_data = true
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "data_freshness" {
  for_each = toset(var.sources)

  alarm_name          = "${var.name_prefix}-${each.key}-data-stale"
  alarm_description   = "The newest ${each.key} data in the warehouse is older than ${var.freshness_threshold_hours} hours, or no freshness was reported for a day."
  namespace           = local.ns
  metric_name         = "DataFreshnessHours"
  dimensions          = { Source = each.key, service = var.freshness_metric_service }
  statistic           = "Maximum"
  period              = 86400
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.freshness_threshold_hours
  treat_missing_data  = "breaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}
