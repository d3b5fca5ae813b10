variable "name_prefix" {
  description = "Prefix for every resource name, e.g. `itc-beta`."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "alert_emails" {
  description = "E-mail addresses subscribed to the alert topic (each must confirm the subscription)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "Every alert_emails entry must be an e-mail address."
  }
}

variable "lambda_function_names" {
  description = "Lambda functions to alarm on, by short key (e.g. demand_pipeline => itc-beta-demand-pipeline)."
  type        = map(string)
}

variable "lambda_timeouts_seconds" {
  description = "Timeout of each function in lambda_function_names, by the same key; the duration alarm fires at lambda_duration_alarm_ratio of it."
  type        = map(number)
}

variable "lambda_duration_alarm_ratio" {
  description = "Fraction of a function's timeout at which its maximum duration raises an alarm."
  type        = number
  default     = 0.8

  validation {
    condition     = var.lambda_duration_alarm_ratio > 0 && var.lambda_duration_alarm_ratio < 1
    error_message = "lambda_duration_alarm_ratio must be between 0 and 1."
  }
}

variable "state_machine_arns" {
  description = "Step Functions state machines to alarm on, by name (ingest, load)."
  type        = map(string)
}

variable "dlq_names" {
  description = "SQS dead-letter queues to alarm on when they hold messages, by short key."
  type        = map(string)
  default     = {}
}

variable "db_instance_identifier" {
  description = "RDS instance identifier of the warehouse."
  type        = string
}

variable "db_cpu_threshold_percent" {
  description = "Average CPU above which the warehouse alarms."
  type        = number
  default     = 80
}

variable "db_free_storage_threshold_bytes" {
  description = "Free storage below which the warehouse alarms."
  type        = number
  default     = 10737418240
}

variable "db_free_memory_threshold_bytes" {
  description = "Freeable memory below which the warehouse alarms."
  type        = number
  default     = 268435456
}

variable "db_connections_threshold" {
  description = "Connection count above which the warehouse alarms."
  type        = number
  default     = 80
}

variable "metric_namespace" {
  description = "CloudWatch namespace of the pipeline's embedded-metric logs."
  type        = string
  default     = "ITC"
}

variable "sources" {
  description = "Sources reported in the Source dimension of RecordsRejected and DataFreshnessHours."
  type        = list(string)
  default     = ["demand", "verifyplus"]
}

variable "freshness_metric_service" {
  description = "Value of the `service` dimension the quality step adds to DataFreshnessHours (POWERTOOLS_SERVICE_NAME of the orchestrator function)."
  type        = string
  default     = "orchestrator"
}

variable "records_rejected_threshold" {
  description = "Rejected records of one source in one day above which an alarm fires."
  type        = number
  default     = 0
}

variable "freshness_threshold_hours" {
  description = "Age in hours of a source's newest loaded data above which an alarm fires."
  type        = number
  default     = 36

  validation {
    condition     = var.freshness_threshold_hours > 0
    error_message = "freshness_threshold_hours must be positive."
  }
}

variable "tags" {
  description = "Tags merged into every resource of the module."
  type        = map(string)
  default     = {}
}
