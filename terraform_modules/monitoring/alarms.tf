# Every alarm of the module: plain-metric alarms in aws_cloudwatch_metric_alarm.metric and
# Metrics Insights alarms in aws_cloudwatch_metric_alarm.query, each for_each over a map of
# "<family>/<key>" => settings built here. All publish to the alert topic.
locals {
  alarm_actions = [aws_sns_topic.this.arn]
  ns            = var.metric_namespace

  # Lambda: errors, throttles, duration close to the timeout.
  lambda_alarm_kinds = {
    errors    = { metric = "Errors", statistic = "Sum", ok = true, description = "%s returned errors (see its log group)." }
    throttles = { metric = "Throttles", statistic = "Sum", ok = false, description = "%s was throttled (reserved concurrency reached)." }
    duration = {
      metric      = "Duration", statistic = "Maximum", ok = false
      description = "%s ran longer than ${floor(var.lambda_duration_alarm_ratio * 100)}%% of its timeout: it will soon time out."
    }
  }
  lambda_alarms = merge([
    for kind, a in local.lambda_alarm_kinds : {
      for key, function_name in var.lambda_function_names : "lambda_${kind}/${key}" => {
        name        = "${var.name_prefix}-${key}-${kind}"
        description = format(a.description, function_name)
        namespace   = "AWS/Lambda"
        metric      = a.metric
        dimensions  = { FunctionName = function_name }
        statistic   = a.statistic
        threshold   = kind == "duration" ? floor(var.lambda_timeouts_seconds[key] * 1000 * var.lambda_duration_alarm_ratio) : 0
        ok          = a.ok
      }
    }
  ]...)

  dlq_alarms = {
    for key, queue in var.dlq_names : "dlq_messages/${key}" => {
      name        = "${var.name_prefix}-${key}-dlq-not-empty"
      description = "Dead-letter queue ${queue} holds failed events: inspect and redrive them."
      namespace   = "AWS/SQS"
      metric      = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = queue }
      statistic   = "Maximum"
    }
  }

  # Step Functions: failed and timed-out executions.
  state_machine_alarms = merge([
    for name, arn in var.state_machine_arns : {
      for metric in ["ExecutionsFailed", "ExecutionsTimedOut"] : "state_machine/${name}-${metric}" => {
        name        = "${var.name_prefix}-${name}-${lower(metric)}"
        description = "The ${name} state machine had ${metric} (its execution history names the failing step)."
        namespace   = "AWS/States"
        metric      = metric
        dimensions  = { StateMachineArn = arn }
        statistic   = "Sum"
      }
    }
  ]...)

  # RDS: CPU, storage, connections, memory.
  rds_alarm_kinds = {
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
  rds_alarms = {
    for key, a in local.rds_alarm_kinds : "rds/${key}" => merge(a, {
      name       = "${var.name_prefix}-warehouse-${key}"
      namespace  = "AWS/RDS"
      dimensions = { DBInstanceIdentifier = var.db_instance_identifier }
      missing    = "missing"
      ok         = true
    })
  }

  # Freshness needs a one-day window, longer than Metrics Insights alarms allow, so it uses the
  # plain metric with its exact dimension set {Source, service} as the orchestrator's quality
  # step emits it.
  freshness_alarms = {
    for source in var.sources : "data_freshness/${source}" => {
      name        = "${var.name_prefix}-${source}-data-stale"
      description = "The newest ${source} data in the warehouse is older than ${var.freshness_threshold_hours} hours, or no freshness was reported for a day."
      namespace   = local.ns
      metric      = "DataFreshnessHours"
      dimensions  = { Source = source, service = var.freshness_metric_service }
      statistic   = "Maximum"
      period      = 86400
      threshold   = var.freshness_threshold_hours
      missing     = "breaching"
      ok          = true
    }
  }

  # Defaults: one 5-minute period above 0, missing data is not an alarm, no OK notification.
  metric_alarms = {
    for key, a in merge(local.lambda_alarms, local.dlq_alarms, local.state_machine_alarms, local.rds_alarms, local.freshness_alarms) :
    key => merge({ period = 300, periods = 1, operator = "GreaterThanThreshold", threshold = 0, missing = "notBreaching", ok = false }, a)
  }

  # The pipeline's own metrics (CloudWatch embedded-metric logs, namespace var.metric_namespace).
  # Rejections and quality failures use Metrics Insights queries, which match whatever other
  # dimensions (e.g. `service`) the emitter adds.
  query_alarms = merge(
    {
      for source in var.sources : "records_rejected/${source}" => {
        name        = "${var.name_prefix}-${source}-records-rejected"
        description = "The ${source} load rejected records: see ops.rejected_records for reason codes."
        threshold   = var.records_rejected_threshold
        id          = "rejected"
        expression  = "SELECT SUM(RecordsRejected) FROM \"${local.ns}\" WHERE Source = '${source}'"
      }
    },
    {
      for source in var.sources : "manifests_refused/${source}" => {
        name        = "${var.name_prefix}-${source}-manifest-refused"
        description = "A ${source} snapshot manifest failed its KMS signature check (unsigned, altered or forged) and was refused: see ops.load_runs (status refused)."
        threshold   = 0
        id          = "refused"
        expression  = "SELECT SUM(ManifestsRefused) FROM \"${local.ns}\" WHERE Source = '${source}'"
      }
    },
    {
      "quality_check_failures" = {
        name        = "${var.name_prefix}-quality-check-failures"
        description = "A warehouse quality check failed: see ops.quality_results for the Check and its details."
        threshold   = 0
        id          = "failures"
        expression  = "SELECT SUM(QualityCheckFailures) FROM \"${local.ns}\""
      }
    },
  )
}

resource "aws_cloudwatch_metric_alarm" "metric" {
  for_each = local.metric_alarms

  alarm_name          = each.value.name
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = each.value.periods
  comparison_operator = each.value.operator
  threshold           = each.value.threshold
  treat_missing_data  = each.value.missing
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = each.value.ok ? local.alarm_actions : null

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "query" {
  for_each = local.query_alarms

  alarm_name          = each.value.name
  alarm_description   = each.value.description
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions

  metric_query {
    id          = each.value.id
    expression  = each.value.expression
    period      = 3600
    return_data = true
  }

  tags = var.tags
}
