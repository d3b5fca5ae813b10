resource "aws_security_group" "this" {
  name        = local.function_name
  description = "${local.function_name}: HTTPS to VPC endpoints, S3 and Quickbase only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = local.function_name })
}

resource "aws_vpc_security_group_egress_rule" "endpoints" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to interface VPC endpoints (STS, Secrets Manager, Logs, KMS)"
  cidr_ipv4         = var.vpc_cidr_block
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "gateway_endpoints" {
  for_each = { s3 = var.s3_prefix_list_id }

  security_group_id = aws_security_group.this.id
  description       = "HTTPS to the ${each.key} gateway endpoint"
  prefix_list_id    = each.value
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "https_extra" {
  for_each = toset(var.https_egress_cidr_blocks)

  security_group_id = aws_security_group.this.id
  description       = "HTTPS through the NAT gateway to ${each.value}"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443

  tags = var.tags
}
