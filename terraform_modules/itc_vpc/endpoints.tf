# Gateway endpoints keep S3 (landing bucket) and DynamoDB traffic off the NAT gateway. Every
# endpoint's policy allows requests to this account's resources only (aws:ResourceAccount), so a
# function cannot copy data to, or read from, a bucket or table of another account through it; the
# Exchange account is added where the demand extract needs it (DynamoDB tables, STS AssumeRole of
# the Exchange role).
locals {
  exchange_accounts = var.exchange_account_id == null ? [] : [var.exchange_account_id]

  # Accounts whose resources each endpoint may reach.
  endpoint_resource_accounts = merge(
    { for s in concat(["s3", "dynamodb"], tolist(var.interface_endpoint_services)) : s => [local.account_id] },
    { dynamodb = distinct(concat([local.account_id], local.exchange_accounts)) },
    contains(var.interface_endpoint_services, "sts") ? { sts = distinct(concat([local.account_id], local.exchange_accounts)) } : {},
  )

  endpoint_policies = { for s, accounts in local.endpoint_resource_accounts : s => jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "OnlyTheseAccountsResources"
      Effect    = "Allow"
      Principal = "*"
      Action    = "*"
      Resource  = "*"
      Condition = { StringEquals = { "aws:ResourceAccount" = accounts } }
    }]
  }) }
}

resource "aws_vpc_endpoint" "gateway" {
  for_each = toset(["s3", "dynamodb"])

  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.private[*].id
  policy            = local.endpoint_policies[each.key]

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}" })
}

resource "aws_security_group" "endpoints" {
  name        = "${var.name_prefix}-vpc-endpoints"
  description = "HTTPS from inside the VPC to the interface VPC endpoints"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-vpc-endpoints" })
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_https" {
  security_group_id = aws_security_group.endpoints.id
  description       = "HTTPS from the VPC CIDR"
  cidr_ipv4         = aws_vpc.this.cidr_block
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443

  tags = var.tags
}

resource "aws_vpc_endpoint" "interface" {
  for_each = var.interface_endpoint_services

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.endpoints.id]
  private_dns_enabled = true
  policy              = local.endpoint_policies[each.key]

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}" })
}

# Session Manager (the analysts' route, analyst_access module): the SSM agent of a private instance
# reaches ssm, ssmmessages and ec2messages through these endpoints, with no internet path. Their
# actions name no resource of an account (message channels, the agent's own registration), so
# aws:ResourceAccount is absent from those requests; the policy allows principals of this account
# only (aws:PrincipalAccount) instead.
locals {
  session_manager_services = var.session_manager_endpoints ? toset(["ssm", "ssmmessages", "ec2messages"]) : toset([])

  session_manager_endpoint_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "OnlyThisAccountsPrincipals"
      Effect    = "Allow"
      Principal = "*"
      Action    = "*"
      Resource  = "*"
      Condition = { StringEquals = { "aws:PrincipalAccount" = local.account_id } }
    }]
  })
}

resource "aws_vpc_endpoint" "session_manager" {
  for_each = local.session_manager_services

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.endpoints.id]
  private_dns_enabled = true
  policy              = local.session_manager_endpoint_policy

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}" })
}
