# The monitoring module's alarms became two for_each resources keyed "<family>/<key>". The keys of
# the per-function, per-queue, per-state-machine and per-source alarms come from this
# environment's inputs, so their moves are declared here (the fixed RDS and quality alarms move in
# the module itself): every existing alarm is kept, none is deleted and written again.

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.lambda_errors["demand_pipeline"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["lambda_errors/demand_pipeline"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.lambda_errors["verifyplus_pipeline"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["lambda_errors/verifyplus_pipeline"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.lambda_errors["orchestrator"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["lambda_errors/orchestrator"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.lambda_errors["migrate"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["lambda_errors/migrate"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.lambda_throttles["demand_pipeline"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["lambda_throttles/demand_pipeline"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.lambda_throttles["verifyplus_pipeline"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["lambda_throttles/verifyplus_pipeline"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.lambda_throttles["orchestrator"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["lambda_throttles/orchestrator"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.lambda_throttles["migrate"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["lambda_throttles/migrate"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.lambda_duration["demand_pipeline"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["lambda_duration/demand_pipeline"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.lambda_duration["verifyplus_pipeline"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["lambda_duration/verifyplus_pipeline"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.lambda_duration["orchestrator"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["lambda_duration/orchestrator"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.lambda_duration["migrate"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["lambda_duration/migrate"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.dlq_messages["demand_pipeline"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["dlq_messages/demand_pipeline"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.dlq_messages["verifyplus_pipeline"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["dlq_messages/verifyplus_pipeline"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.dlq_messages["orchestrator"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["dlq_messages/orchestrator"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.dlq_messages["orchestration_event"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["dlq_messages/orchestration_event"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.state_machine["ingest-ExecutionsFailed"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["state_machine/ingest-ExecutionsFailed"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.state_machine["ingest-ExecutionsTimedOut"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["state_machine/ingest-ExecutionsTimedOut"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.state_machine["load-ExecutionsFailed"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["state_machine/load-ExecutionsFailed"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.state_machine["load-ExecutionsTimedOut"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["state_machine/load-ExecutionsTimedOut"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.data_freshness["demand"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["data_freshness/demand"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.records_rejected["demand"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.query["records_rejected/demand"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.data_freshness["verifyplus"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.metric["data_freshness/verifyplus"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.records_rejected["verifyplus"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.query["records_rejected/verifyplus"]
}
