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

# One role per function.
resource "aws_iam_role" "this" {
  name               = var.name
  description        = "Execution role of ${var.name} only"
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

locals {
  landing_read  = try(var.landing_prefix_access.access, null) == "read" ? var.landing_prefix_access : null
  landing_write = try(var.landing_prefix_access.access, null) == "write" ? var.landing_prefix_access : null
}

# What every function needs (its own log group, its key, its dead-letter queue), plus the landing
# prefix (read or write) and warehouse login it is given.
data "aws_iam_policy_document" "base" {
  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid       = "OwnKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "DeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [local.dead_letter_queue_arn]
  }

  # The landing prefix: an extract writes it (and may look for an existing manifest, so an extract into
  # a landed run id is refused); a load reads it. Neither gets the other's actions.
  dynamic "statement" {
    for_each = var.landing_prefix_access == null ? [] : [var.landing_prefix_access]

    content {
      sid       = "LandingListOwnPrefix"
      actions   = ["s3:ListBucket"]
      resources = [statement.value.bucket_arn]

      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${statement.value.prefix}/*"]
      }
    }
  }

  dynamic "statement" {
    for_each = local.landing_read == null ? [] : [local.landing_read]

    content {
      sid       = "LandingReadOwnPrefix"
      actions   = ["s3:GetObject", "s3:GetObjectVersion"]
      resources = ["${statement.value.bucket_arn}/${statement.value.prefix}/*"]
    }
  }

  dynamic "statement" {
    for_each = local.landing_read == null ? [] : [local.landing_read]

    content {
      sid       = "LandingKeyDecrypt"
      actions   = ["kms:Decrypt"]
      resources = [statement.value.kms_key_arn]
    }
  }

  dynamic "statement" {
    for_each = local.landing_write == null ? [] : [local.landing_write]

    content {
      sid       = "LandingWriteOwnPrefix"
      actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
      resources = ["${statement.value.bucket_arn}/${statement.value.prefix}/*"]
    }
  }

  # HEAD of the run's manifest only (refuse_existing_snapshot): manifests carry counts and hashes, no records.
  dynamic "statement" {
    for_each = local.landing_write == null ? [] : [local.landing_write]

    content {
      sid       = "LandingHeadOwnManifests"
      actions   = ["s3:GetObject"]
      resources = ["${statement.value.bucket_arn}/${statement.value.prefix}/run=*/_manifest.json"]
    }
  }

  # Decrypt too: a multipart upload under SSE-KMS needs it to assemble the parts.
  dynamic "statement" {
    for_each = local.landing_write == null ? [] : [local.landing_write]

    content {
      sid       = "LandingKeyEncrypt"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value.kms_key_arn]
    }
  }

  dynamic "statement" {
    for_each = var.warehouse_iam_user == null ? [] : [var.warehouse_iam_user]

    content {
      sid       = "WarehouseIamAuth"
      actions   = ["rds-db:connect"]
      resources = ["arn:${local.partition}:rds-db:${local.region}:${local.account_id}:dbuser:${statement.value.db_resource_id}/${statement.value.db_user}"]
    }
  }
}

# ... plus the function's own scoped permissions from the calling module.
data "aws_iam_policy_document" "this" {
  source_policy_documents = compact([data.aws_iam_policy_document.base.json, var.additional_policy_json])
}

resource "aws_iam_role_policy" "this" {
  name   = "least-privilege"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}
