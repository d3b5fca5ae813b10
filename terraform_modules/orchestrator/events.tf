# Undeliverable schedule / rule invocations land here instead of vanishing.
resource "aws_sqs_queue" "events_dlq" {
  name                              = "${var.name_prefix}-orchestration-events-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300

  tags = var.tags
}

data "aws_iam_policy_document" "events_dlq" {
  statement {
    sid       = "EventBridgeRuleDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events_dlq.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.manifest_created.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "events_dlq" {
  queue_url = aws_sqs_queue.events_dlq.id
  policy    = data.aws_iam_policy_document.events_dlq.json
}

# ---------------------------------------------------------------------------------------------
# Daily ingest: EventBridge Scheduler, in the business time zone (DST handled by the scheduler).
# ---------------------------------------------------------------------------------------------
data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name_prefix}-ingest-scheduler"
  description        = "Lets the ${var.name_prefix} daily schedule start the ingest state machine"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "StartIngest"
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.this["ingest"].arn]
  }

  statement {
    sid       = "DeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events_dlq.arn]
  }

  statement {
    sid       = "ModuleKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "start-ingest"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "ingest" {
  name        = "${var.name_prefix}-daily-ingest"
  description = "Start the ${var.name_prefix} ingest state machine every day"
  group_name  = "default"
  state       = var.ingest_schedule_enabled ? "ENABLED" : "DISABLED"
  kms_key_arn = var.kms_key_arn

  schedule_expression          = var.ingest_schedule_expression
  schedule_expression_timezone = var.ingest_schedule_timezone

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_sfn_state_machine.this["ingest"].arn
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode({ run_id = "<aws.scheduler.execution-id>" })

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }

    dead_letter_config {
      arn = aws_sqs_queue.events_dlq.arn
    }
  }
}

# ---------------------------------------------------------------------------------------------
# Load: each _manifest.json created in the landing bucket starts the load state machine, so a
# scheduled extract, a replay and a hand-dropped backfill snapshot all take the same path.
# ---------------------------------------------------------------------------------------------
resource "aws_cloudwatch_event_rule" "manifest_created" {
  name        = "${var.name_prefix}-manifest-created"
  description = "A _manifest.json was written to the ${var.name_prefix} landing bucket"

  event_pattern = jsonencode({
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = {
      bucket = { name = [var.landing.bucket_name] }
      object = { key = [{ suffix = "/_manifest.json" }] }
    }
  })

  tags = var.tags
}

data "aws_iam_policy_document" "events_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "events" {
  name               = "${var.name_prefix}-manifest-rule"
  description        = "Lets the ${var.name_prefix} manifest rule start the load state machine"
  assume_role_policy = data.aws_iam_policy_document.events_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "events" {
  statement {
    sid       = "StartLoad"
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.this["load"].arn]
  }
}

resource "aws_iam_role_policy" "events" {
  name   = "start-load"
  role   = aws_iam_role.events.id
  policy = data.aws_iam_policy_document.events.json
}

resource "aws_cloudwatch_event_target" "load" {
  rule      = aws_cloudwatch_event_rule.manifest_created.name
  target_id = "load-state-machine"
  arn       = aws_sfn_state_machine.this["load"].arn
  role_arn  = aws_iam_role.events.arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 10
  }

  dead_letter_config {
    arn = aws_sqs_queue.events_dlq.arn
  }
}
