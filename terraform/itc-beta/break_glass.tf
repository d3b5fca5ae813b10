# Who may invoke a load function, and force a load (README.md "Break glass and forced loads"). A load
# function is invoked by the load state machine; by hand, only through the break-glass role, which a
# named person assumes with MFA, and which alone can sign a force approval (manifest_mac.tf). Every Invoke is a CloudTrail data event (landing_bucket module, audited_function_arns).
#
# What a Lambda resource policy can and cannot do here: in the same account, a request is allowed when
# EITHER the caller's identity policy OR the function's resource policy allows it. The permissions below
# therefore add the two invokers; they do not stop a principal of this account whose own IAM policy
# allows lambda:InvokeFunction on "*" (an administrator). Three things close that:
#   - the force approval, not the invocation, is the guard of a forced load: a KMS key policy is
#     authoritative (IAM cannot grant a use it does not name), and only the break-glass role may sign;
#   - no role ITC creates has lambda:InvokeFunction on a load function except the load state machine's
#     and the break-glass role, and each of the others carries the explicit deny of the guard policy
#     below (an explicit deny wins over any allow);
#   - the same guard policy is an output (load_invoke_guard_policy_arn) for the account's other roles
#     and permission sets; an organisation SCP with the same deny is the account-wide form.
data "aws_partition" "current" {}

locals {
  break_glass_role_name = "${local.name_prefix}-break-glass"
  # Empty break_glass_principal_arns: no break-glass role at all (fail closed: nobody can sign a force
  # approval, so no load can be forced, and nobody but the load state machine is granted an invoke).
  break_glass = length(var.break_glass_principal_arns) > 0 ? 1 : 0
  # The role's ARN from its name (known when planned; its path is "/"), referenced after the role exists:
  # the key policy, the landing key and the load functions' resource policies name it.
  break_glass_role_arns = [for r in aws_iam_role.break_glass : "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/${r.name}"]
  load_function_arns = flatten([
    for f in values(local.load_functions) : [f.arn, "${f.arn}:*"]
  ])
}

data "aws_iam_policy_document" "break_glass_assume" {
  count = local.break_glass

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = var.break_glass_principal_arns
    }

    condition {
      test     = "Bool"
      variable = "aws:MultiFactorAuthPresent"
      values   = ["true"]
    }
  }
}

resource "aws_iam_role" "break_glass" {
  count = local.break_glass

  name                 = local.break_glass_role_name
  description          = "${local.name_prefix} break glass: invoke a load function by hand and sign its force approval (MFA)"
  assume_role_policy   = data.aws_iam_policy_document.break_glass_assume[0].json
  max_session_duration = 3600

  tags = local.tags
}

# Invoke the load functions, sign a force approval, and read the manifests it approves (their counts and
# hashes; no records).
data "aws_iam_policy_document" "break_glass" {
  statement {
    sid       = "InvokeLoadFunctions"
    actions   = ["lambda:InvokeFunction"]
    resources = local.load_function_arns
  }

  statement {
    sid       = "SignForceApprovals"
    actions   = ["kms:GenerateMac"]
    resources = [module.force_approval_key.key_arn]
  }

  statement {
    sid       = "ReadManifests"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [for source in keys(local.load_functions) : "${local.landing.bucket_arn}/${source}/run=*/_manifest.json"]
  }

  statement {
    sid       = "ListLandingRuns"
    actions   = ["s3:ListBucket"]
    resources = [local.landing.bucket_arn]
  }

  statement {
    sid       = "LandingKeyDecrypt"
    actions   = ["kms:Decrypt"]
    resources = [local.landing.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "break_glass" {
  count = local.break_glass

  name   = "break-glass"
  role   = aws_iam_role.break_glass[0].id
  policy = data.aws_iam_policy_document.break_glass.json
}

# The load functions' resource policies: the load state machine's role and the break-glass role.
resource "aws_lambda_permission" "load_invokers" {
  for_each = merge(
    { for source, f in local.load_functions : "${source}-load-state-machine" => { function_name = f.name, principal = local.load_state_machine_role_arn } },
    { for source, f in local.load_functions : "${source}-break-glass" => { function_name = f.name, principal = local.break_glass_role_arns[0] } if local.break_glass == 1 },
  )

  statement_id  = "Allow-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = each.value.function_name
  principal     = each.value.principal
}

# The explicit deny every other role ITC creates carries (and the account's other roles should).
data "aws_iam_policy_document" "load_invoke_guard" {
  statement {
    sid       = "DenyInvokingLoadFunctions"
    effect    = "Deny"
    actions   = ["lambda:InvokeFunction", "lambda:InvokeAsync", "lambda:InvokeFunctionUrl"]
    resources = local.load_function_arns
  }
}

resource "aws_iam_policy" "load_invoke_guard" {
  name        = "${local.name_prefix}-load-invoke-guard"
  description = "Explicit deny of invoking the ${local.name_prefix} load functions: for every role but the load state machine's and break glass"
  policy      = data.aws_iam_policy_document.load_invoke_guard.json

  tags = local.tags
}

resource "aws_iam_role_policy_attachment" "load_invoke_guard" {
  for_each = local.roles_without_load_invoke

  role       = each.value
  policy_arn = aws_iam_policy.load_invoke_guard.arn
}
