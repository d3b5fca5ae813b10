# Resource addresses before the function moved into terraform_modules/lambda_function and the key
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
  from = aws_cloudwatch_log_group.this
  to   = module.function.aws_cloudwatch_log_group.this
}

moved {
  from = aws_lambda_layer_version.this
  to   = module.function.aws_lambda_layer_version.this[0]
}

moved {
  from = aws_lambda_function.this
  to   = module.function.aws_lambda_function.this
}

moved {
  from = aws_sqs_queue.dlq
  to   = module.function.aws_sqs_queue.dlq[0]
}

moved {
  from = aws_lambda_function_event_invoke_config.this
  to   = module.function.aws_lambda_function_event_invoke_config.this
}

moved {
  from = aws_iam_role.this
  to   = module.function.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy_attachment.vpc_access
  to   = module.function.aws_iam_role_policy_attachment.vpc_access
}

moved {
  from = aws_iam_role_policy_attachment.xray
  to   = module.function.aws_iam_role_policy_attachment.xray
}

moved {
  from = aws_iam_role_policy.this
  to   = module.function.aws_iam_role_policy.this
}

moved {
  from = aws_security_group.this
  to   = module.function.aws_security_group.this[0]
}

moved {
  from = aws_vpc_security_group_egress_rule.endpoints
  to   = module.function.aws_vpc_security_group_egress_rule.endpoints[0]
}

moved {
  from = aws_vpc_security_group_egress_rule.gateway_endpoints
  to   = module.function.aws_vpc_security_group_egress_rule.gateway_endpoints
}

moved {
  from = aws_vpc_security_group_egress_rule.https_extra
  to   = module.function.aws_vpc_security_group_egress_rule.https_extra
}
