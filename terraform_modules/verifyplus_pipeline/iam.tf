# The function's role, with its log group, key, queue, landing prefix `verifyplus/` and warehouse
# login (itc_loader), is in the lambda_function module; here only what reads the Quickbase token.
data "aws_iam_policy_document" "quickbase" {
  statement {
    sid       = "QuickbaseTokenSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [local.qb_token_secret_arn]
  }

  dynamic "statement" {
    for_each = local.qb_token_kms_key_arn == null ? [] : [local.qb_token_kms_key_arn]

    content {
      sid       = "QuickbaseTokenKey"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}
