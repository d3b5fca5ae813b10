locals {
  # The exact variables of the .asl.json templates (docs/CONTRACTS.md); tests/terraform parses
  # these maps to check every Task targets one of these functions.
  # Each function's task timeout is that function's own timeout (read from its module).
  # Each step invokes its own function: ingest the extract functions, load the load functions.
  ingest_template_vars = {
    demand_extract_function_arn                 = var.demand_extract_function_arn
    demand_extract_function_timeout_seconds     = var.demand_extract_function_timeout_seconds
    demand_scan_max_concurrency                 = var.demand_scan_max_concurrency
    verifyplus_extract_function_arn             = var.verifyplus_extract_function_arn
    verifyplus_extract_function_timeout_seconds = var.verifyplus_extract_function_timeout_seconds
    alert_topic_arn                             = var.alert_topic_arn
  }

  load_template_vars = {
    demand_load_function_arn                 = var.demand_load_function_arn
    demand_load_function_timeout_seconds     = var.demand_load_function_timeout_seconds
    verifyplus_load_function_arn             = var.verifyplus_load_function_arn
    verifyplus_load_function_timeout_seconds = var.verifyplus_load_function_timeout_seconds
    orchestrator_function_arn                = module.orchestrator.function_arn
    orchestrator_function_timeout_seconds    = module.orchestrator.function_timeout_seconds
    alert_topic_arn                          = var.alert_topic_arn
  }

  state_machines = {
    ingest = templatefile("${path.module}/state_machines/ingest.asl.json", local.ingest_template_vars)
    load   = templatefile("${path.module}/state_machines/load.asl.json", local.load_template_vars)
  }

  # What each machine invokes: ingest the extract functions, load the load functions and the
  # orchestrator. Each machine has its own role, so only the load machine's role may invoke a load
  # function (the load functions' resource policies name that role: terraform/itc-beta/break_glass.tf).
  invoked_function_arns = {
    ingest = [var.demand_extract_function_arn, var.verifyplus_extract_function_arn]
    load   = [var.demand_load_function_arn, var.verifyplus_load_function_arn, module.orchestrator.function_arn]
  }

  # The ingest machine's Distributed Map (ScanDemandParts) runs each part as a child execution of the
  # machine itself: its role starts them (on its own ARN, built from the name to avoid a cycle) and
  # describes or stops them (its own executions only). The load machine runs no Distributed Map.
  state_machine_arns       = { for name in keys(local.state_machines) : name => "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${var.name_prefix}-${name}" }
  distributed_map_machines = ["ingest"]
}


resource "aws_cloudwatch_log_group" "state_machines" {
  for_each = local.state_machines

  name              = "/aws/vendedlogs/states/${var.name_prefix}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "states_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "state_machines" {
  for_each = local.state_machines

  name               = "${var.name_prefix}-${each.key}-state-machine"
  description        = "Execution role of the ${var.name_prefix}-${each.key} state machine only"
  assume_role_policy = data.aws_iam_policy_document.states_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "state_machines_xray" {
  for_each = local.state_machines

  role       = aws_iam_role.state_machines[each.key].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AWSXrayWriteOnlyAccess"
}

data "aws_iam_policy_document" "state_machines" {
  for_each = local.state_machines

  statement {
    sid       = "InvokeOwnFunctions"
    actions   = ["lambda:InvokeFunction"]
    resources = concat(local.invoked_function_arns[each.key], [for a in local.invoked_function_arns[each.key] : "${a}:*"])
  }

  dynamic "statement" {
    for_each = contains(local.distributed_map_machines, each.key) ? [each.key] : []

    content {
      sid       = "StartOwnMapRuns"
      actions   = ["states:StartExecution"]
      resources = [local.state_machine_arns[each.key]]
    }
  }

  dynamic "statement" {
    for_each = contains(local.distributed_map_machines, each.key) ? [each.key] : []

    content {
      sid     = "ManageOwnMapRunExecutions"
      actions = ["states:DescribeExecution", "states:StopExecution"]
      resources = [
        "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${var.name_prefix}-${each.key}/*",
      ]
    }
  }

  statement {
    sid       = "PublishAlerts"
    actions   = ["sns:Publish"]
    resources = [var.alert_topic_arn]
  }

  statement {
    sid       = "AlertTopicKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.alert_topic_kms_key_arn]
  }

  statement {
    sid       = "StateMachineDataKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  # CloudWatch Logs delivery for Step Functions: these APIs do not support resource-level
  # permissions, so AWS documents "*" as the only valid resource.
  statement {
    sid = "LogDelivery"
    actions = [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "state_machines" {
  for_each = local.state_machines

  name   = "least-privilege"
  role   = aws_iam_role.state_machines[each.key].id
  policy = data.aws_iam_policy_document.state_machines[each.key].json
}

resource "aws_sfn_state_machine" "this" {
  #checkov:skip=CKV_AWS_285:Execution data is left out of the logs on purpose (include_execution_data = false): inputs and outputs are manifests, load results and force reasons, kept in the execution history and the warehouse's audit tables, not in a log group; failures are still logged (level ERROR).
  for_each = local.state_machines

  name       = "${var.name_prefix}-${each.key}"
  role_arn   = aws_iam_role.state_machines[each.key].arn
  type       = "STANDARD"
  definition = each.value

  # Failures only, without their input and output: an execution's data is a snapshot's manifest or a
  # load's result (counts, keys, the reason of a forced load), which belongs in the warehouse's audit
  # tables, not in a log group every reader of the orchestration logs can see.
  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machines[each.key].arn}:*"
    include_execution_data = false
    level                  = "ERROR"
  }

  tracing_configuration {
    enabled = true
  }

  encryption_configuration {
    type                              = "CUSTOMER_MANAGED_KMS_KEY"
    kms_key_id                        = var.kms_key_arn
    kms_data_key_reuse_period_seconds = 300
  }

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}" })

  depends_on = [aws_iam_role_policy.state_machines]
}
