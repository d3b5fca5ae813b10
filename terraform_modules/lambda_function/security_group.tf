resource "aws_security_group" "this" {
  count = local.own_security_group ? 1 : 0

  name        = var.name
  description = coalesce(var.security_group_description, "${var.name}: HTTPS to VPC endpoints only")
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_vpc_security_group_egress_rule" "endpoints" {
  count = local.own_security_group ? 1 : 0

  security_group_id = aws_security_group.this[0].id
  description       = "HTTPS to interface VPC endpoints (STS, Secrets Manager, Logs, KMS)"
  cidr_ipv4         = var.vpc_cidr_block
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "gateway_endpoints" {
  for_each = local.own_security_group ? var.gateway_prefix_list_ids : {}

  security_group_id = aws_security_group.this[0].id
  description       = "HTTPS to the ${each.key} gateway endpoint"
  prefix_list_id    = each.value
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "https_extra" {
  for_each = local.own_security_group ? toset(var.https_egress_cidr_blocks) : []

  security_group_id = aws_security_group.this[0].id
  description       = "HTTPS through the NAT gateway to ${each.value}"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443

  tags = var.tags
}
