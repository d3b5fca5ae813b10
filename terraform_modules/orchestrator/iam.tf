data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# One role per function.
resource "aws_iam_role" "functions" {
  for_each = local.functions

  name               = each.value.name
  description        = "Execution role of ${each.value.name} only"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json

  tags = var.tags
}

# ENI management for VPC Lambdas; AWS-managed, these EC2 actions support no resource scoping.
resource "aws_iam_role_policy_attachment" "vpc_access" {
  for_each = local.functions

  role       = aws_iam_role.functions[each.key].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

# X-Ray segment upload; AWS-managed, the X-Ray write actions support no resource scoping.
resource "aws_iam_role_policy_attachment" "xray" {
  for_each = local.functions

  role       = aws_iam_role.functions[each.key].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AWSXrayWriteOnlyAccess"
}

data "aws_iam_policy_document" "functions" {
  for_each = local.functions

  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.functions[each.key].arn}:*"]
  }

  statement {
    sid       = "ModuleKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
  }

  statement {
    sid       = "DeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }

  # refresh / quality read manifests (freshness, reconciliation); nothing writes from here.
  dynamic "statement" {
    for_each = each.key == "orchestrator" ? [1] : []

    content {
      sid       = "LandingReadOnly"
      actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"]
      resources = [aws_s3_bucket.landing.arn, "${aws_s3_bucket.landing.arn}/*"]
    }
  }

  dynamic "statement" {
    for_each = each.key == "orchestrator" ? [1] : []

    content {
      sid       = "WarehouseIamAuth"
      actions   = ["rds-db:connect"]
      resources = ["arn:${local.partition}:rds-db:${local.region}:${local.account_id}:dbuser:${var.db_resource_id}/${var.db_refresher_user}"]
    }
  }

  dynamic "statement" {
    for_each = each.key == "migrate" ? [1] : []

    content {
      sid       = "MasterSecret"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [var.db_master_user_secret_arn]
    }
  }

  dynamic "statement" {
    for_each = each.key == "migrate" ? [1] : []

    content {
      sid       = "MasterSecretKey"
      actions   = ["kms:Decrypt"]
      resources = [var.db_kms_key_arn]
    }
  }
}

resource "aws_iam_role_policy" "functions" {
  for_each = local.functions

  name   = "least-privilege"
  role   = aws_iam_role.functions[each.key].id
  policy = data.aws_iam_policy_document.functions[each.key].json
}
