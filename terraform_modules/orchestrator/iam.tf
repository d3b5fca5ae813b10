# The functions' roles (their log group, the module key, the dead-letter queue, and the refresher's
# warehouse login) are in the lambda_function module; here what each needs beyond that.

# The orchestrator does not read the landing bucket (refresh and quality work on the warehouse;
# manifest counts come from ops.load_runs), so it has no landing read and no use of the landing
# key (docs/design.md §6). Deliberately empty: main.tf still merges this document into the orchestrator's
# role policy; delete both together.
data "aws_iam_policy_document" "landing_read" {}

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
