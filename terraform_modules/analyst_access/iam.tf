# Route "ssm": what an analyst's IAM identity (an SSO permission set, a group) is given. It may start
# a session on the port-forwarding instance with the warehouse document only (host and port fixed
# in the document), use the module's key for the session's data stream, and end or resume only the
# sessions it started. ssm:SessionDocumentAccessCheck makes Session Manager check the document
# against this policy, so a session without --document-name (a shell) is refused.
locals {
  analyst_policy = local.ssm ? jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "PortForwardToTheWarehouseOnly"
        Effect = "Allow"
        Action = ["ssm:StartSession"]
        Resource = [
          aws_instance.this[0].arn,
          aws_ssm_document.port_forward[0].arn,
        ]
        Condition = { BoolIfExists = { "ssm:SessionDocumentAccessCheck" = "true" } }
      },
      {
        Sid      = "EncryptTheSessionStream"
        Effect   = "Allow"
        Action   = ["kms:GenerateDataKey"]
        Resource = module.kms.key_arn
      },
      {
        Sid      = "EndOrResumeOwnSessionsOnly"
        Effect   = "Allow"
        Action   = ["ssm:TerminateSession", "ssm:ResumeSession"]
        Resource = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:session/*"
        Condition = {
          StringLike = { "ssm:resourceTag/aws:ssmmessages:session-id" = ["$${aws:userid}"] }
        }
      },
    ]
  }) : null
}

resource "aws_iam_policy" "analysts" {
  count = local.ssm ? 1 : 0

  name        = "${var.name_prefix}-analyst-warehouse-tunnel"
  description = "Analysts: Session Manager port forwarding to the ITC warehouse only (docs/access.md)"
  policy      = local.analyst_policy

  tags = var.tags
}
