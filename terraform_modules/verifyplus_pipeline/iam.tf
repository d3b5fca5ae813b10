data "aws_iam_policy_document" "assume" {
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

resource "aws_iam_role" "this" {
  name               = local.function_name
  description        = "Execution role of ${local.function_name} only"
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = var.tags
}

# ENI management for VPC Lambdas; AWS-managed, these EC2 actions support no resource scoping.
resource "aws_iam_role_policy_attachment" "vpc_access" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

# X-Ray segment upload; AWS-managed, the X-Ray write actions support no resource scoping.
resource "aws_iam_role_policy_attachment" "xray" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AWSXrayWriteOnlyAccess"
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid       = "OwnKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
  }

  statement {
    sid       = "DeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }

  statement {
    sid       = "LandingListOwnPrefix"
    actions   = ["s3:ListBucket"]
    resources = [var.landing_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["verifyplus/*"]
    }
  }

  statement {
    sid       = "LandingReadWriteOwnPrefix"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
    resources = ["${var.landing_bucket_arn}/verifyplus/*"]
  }

  statement {
    sid       = "LandingKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.landing_kms_key_arn]
  }

  statement {
    sid       = "WarehouseIamAuth"
    actions   = ["rds-db:connect"]
    resources = ["arn:${local.partition}:rds-db:${local.region}:${local.account_id}:dbuser:${var.db_resource_id}/${var.db_user}"]
  }

  statement {
    sid       = "QuickbaseTokenSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.qb_token_secret_arn]
  }

  dynamic "statement" {
    for_each = var.qb_token_kms_key_arn == null ? [] : [var.qb_token_kms_key_arn]

    content {
      sid       = "QuickbaseTokenKey"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "least-privilege"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}
