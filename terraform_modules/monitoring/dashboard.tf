locals {
  lambda_names = values(var.lambda_function_names)

  dashboard_widgets = [
    {
      type = "text", x = 0, y = 0, width = 24, height = 2
      properties = {
        markdown = "# ITC ${var.name_prefix}: pipeline health and KPIs\nDaily ingest (EventBridge Scheduler) -> S3 snapshots -> load -> refresh -> quality. Alerts go to SNS topic `${aws_sns_topic.this.name}`."
      }
    },
    {
      type = "metric", x = 0, y = 2, width = 12, height = 6
      properties = {
        title  = "State machine executions"
        region = local.region
        stat   = "Sum"
        period = 3600
        metrics = flatten([for name, arn in var.state_machine_arns : [
          ["AWS/States", "ExecutionsSucceeded", "StateMachineArn", arn, { label = "${name} succeeded" }],
          ["AWS/States", "ExecutionsFailed", "StateMachineArn", arn, { label = "${name} failed" }],
          ["AWS/States", "ExecutionsTimedOut", "StateMachineArn", arn, { label = "${name} timed out" }],
        ]])
      }
    },
    {
      type = "metric", x = 12, y = 2, width = 12, height = 6
      properties = {
        title   = "Data freshness (hours since newest loaded data)"
        region  = local.region
        stat    = "Maximum"
        period  = 3600
        metrics = [for s in var.sources : [local.ns, "DataFreshnessHours", "Source", s, "service", var.freshness_metric_service, { label = s }]]
        annotations = {
          horizontal = [{ label = "stale", value = var.freshness_threshold_hours }]
        }
      }
    },
    {
      type = "metric", x = 0, y = 8, width = 8, height = 6
      properties = {
        title   = "Records rejected by source"
        region  = local.region
        period  = 3600
        metrics = [[{ id = "rejected", expression = "SELECT SUM(RecordsRejected) FROM \"${local.ns}\" GROUP BY Source", label = "rejected" }]]
      }
    },
    {
      type = "metric", x = 8, y = 8, width = 8, height = 6
      properties = {
        title   = "Quality check failures by check"
        region  = local.region
        period  = 3600
        metrics = [[{ id = "quality", expression = "SELECT SUM(QualityCheckFailures) FROM \"${local.ns}\" GROUP BY \"Check\"", label = "failures" }]]
      }
    },
    {
      type = "metric", x = 16, y = 8, width = 8, height = 6
      properties = {
        title   = "Records loaded by source (KPI)"
        region  = local.region
        period  = 86400
        metrics = [[{ id = "loaded", expression = "SELECT SUM(RecordsLoaded) FROM \"${local.ns}\" GROUP BY Source", label = "loaded" }]]
      }
    },
    {
      type = "metric", x = 0, y = 14, width = 8, height = 6
      properties = {
        title  = "Lambda errors and throttles"
        region = local.region
        stat   = "Sum"
        period = 300
        metrics = flatten([for n in local.lambda_names : [
          ["AWS/Lambda", "Errors", "FunctionName", n],
          ["AWS/Lambda", "Throttles", "FunctionName", n],
        ]])
      }
    },
    {
      type = "metric", x = 8, y = 14, width = 8, height = 6
      properties = {
        title   = "Lambda duration (max, ms)"
        region  = local.region
        stat    = "Maximum"
        period  = 300
        metrics = [for n in local.lambda_names : ["AWS/Lambda", "Duration", "FunctionName", n]]
      }
    },
    {
      type = "metric", x = 16, y = 14, width = 8, height = 6
      properties = {
        title  = "Warehouse CPU and connections"
        region = local.region
        period = 300
        metrics = [
          ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", var.db_instance_identifier, { stat = "Average" }],
          ["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", var.db_instance_identifier, { stat = "Maximum", yAxis = "right" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 20, width = 12, height = 6
      properties = {
        title  = "Warehouse free storage and memory (bytes)"
        region = local.region
        period = 300
        stat   = "Minimum"
        metrics = [
          ["AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", var.db_instance_identifier],
          ["AWS/RDS", "FreeableMemory", "DBInstanceIdentifier", var.db_instance_identifier],
        ]
      }
    },
    {
      type = "alarm", x = 12, y = 20, width = 12, height = 6
      properties = {
        title = "Alarms"
        alarms = concat(
          [for k, a in aws_cloudwatch_metric_alarm.metric : a.arn if startswith(k, "state_machine/")],
          [for k, a in aws_cloudwatch_metric_alarm.metric : a.arn if startswith(k, "data_freshness/")],
          [for k, a in aws_cloudwatch_metric_alarm.query : a.arn if startswith(k, "records_rejected/")],
          [aws_cloudwatch_metric_alarm.query["quality_check_failures"].arn],
          [for k, a in aws_cloudwatch_metric_alarm.metric : a.arn if startswith(k, "rds/")],
        )
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = "${var.name_prefix}-pipeline"
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
