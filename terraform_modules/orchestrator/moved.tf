# Resource addresses before the functions moved into terraform_modules/lambda_function and the key
# into terraform_modules/kms_key: an existing deployment keeps every object (no destroy/create).

moved {
  from = aws_kms_key.this
  to   = module.kms.aws_kms_key.this
}

moved {
  from = aws_kms_alias.this
  to   = module.kms.aws_kms_alias.this
}

moved {
  from = aws_lambda_layer_version.this
  to   = module.orchestrator.aws_lambda_layer_version.this[0]
}

moved {
  from = aws_sqs_queue.dlq
  to   = module.orchestrator.aws_sqs_queue.dlq[0]
}

moved {
  from = aws_security_group.this
  to   = module.orchestrator.aws_security_group.this[0]
}

moved {
  from = aws_vpc_security_group_egress_rule.endpoints
  to   = module.orchestrator.aws_vpc_security_group_egress_rule.endpoints[0]
}

moved {
  from = aws_vpc_security_group_egress_rule.s3
  to   = module.orchestrator.aws_vpc_security_group_egress_rule.gateway_endpoints["s3"]
}

moved {
  from = aws_cloudwatch_log_group.functions["orchestrator"]
  to   = module.orchestrator.aws_cloudwatch_log_group.this
}

moved {
  from = aws_lambda_function.this["orchestrator"]
  to   = module.orchestrator.aws_lambda_function.this
}

moved {
  from = aws_lambda_function_event_invoke_config.this["orchestrator"]
  to   = module.orchestrator.aws_lambda_function_event_invoke_config.this
}

moved {
  from = aws_iam_role.functions["orchestrator"]
  to   = module.orchestrator.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy_attachment.vpc_access["orchestrator"]
  to   = module.orchestrator.aws_iam_role_policy_attachment.vpc_access
}

moved {
  from = aws_iam_role_policy_attachment.xray["orchestrator"]
  to   = module.orchestrator.aws_iam_role_policy_attachment.xray
}

moved {
  from = aws_iam_role_policy.functions["orchestrator"]
  to   = module.orchestrator.aws_iam_role_policy.this
}

moved {
  from = aws_cloudwatch_log_group.functions["migrate"]
  to   = module.migrate.aws_cloudwatch_log_group.this
}

moved {
  from = aws_lambda_function.this["migrate"]
  to   = module.migrate.aws_lambda_function.this
}

moved {
  from = aws_lambda_function_event_invoke_config.this["migrate"]
  to   = module.migrate.aws_lambda_function_event_invoke_config.this
}

moved {
  from = aws_iam_role.functions["migrate"]
  to   = module.migrate.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy_attachment.vpc_access["migrate"]
  to   = module.migrate.aws_iam_role_policy_attachment.vpc_access
}

moved {
  from = aws_iam_role_policy_attachment.xray["migrate"]
  to   = module.migrate.aws_iam_role_policy_attachment.xray
}

moved {
  from = aws_iam_role_policy.functions["migrate"]
  to   = module.migrate.aws_iam_role_policy.this
}
