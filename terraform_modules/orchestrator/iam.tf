# The functions' roles (their log group, the module key, the dead-letter queue, and the refresher's
# warehouse login) are in the lambda_function module; here what each needs beyond that.

# refresh / quality read manifests (freshness, reconciliation); nothing writes from here.
data "aws_iam_policy_document" "landing_read" {
  statement {
    sid       = "LandingReadOnly"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"]
    resources = [var.landing.bucket_arn, "${var.landing.bucket_arn}/*"]
  }

  statement {
    sid       = "LandingKey"
    actions   = ["kms:Decrypt"]
    resources = [var.landing.kms_key_arn]
  }
}

# migrate connects as the schema owner through the RDS-managed master secret.
data "aws_iam_policy_document" "master_secret" {
  statement {
    sid       = "MasterSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.database.master_user_secret_arn]
  }

  statement {
    sid       = "MasterSecretKey"
    actions   = ["kms:Decrypt"]
    resources = [var.database.kms_key_arn]
  }
}
