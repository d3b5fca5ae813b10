# The database's own security group: PostgreSQL from the "client" group (pipelines) and from the
# analysts' route (the analyst_access module's security group) only; no CIDR is admitted. No egress
# is needed by RDS.
resource "aws_security_group" "this" {
  name        = "${var.name_prefix}-warehouse"
  description = "PostgreSQL warehouse: 5432 from ITC Lambdas and the analysts' route"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-warehouse" })
}

# Attach this group to anything that must talk to the warehouse (the pipeline Lambdas).
resource "aws_security_group" "client" {
  #checkov:skip=CKV2_AWS_5:Attached by the pipeline and orchestrator Lambdas in their own modules (through db_client_security_group_id); checkov sees one module at a time.
  name        = "${var.name_prefix}-warehouse-client"
  description = "Clients of the PostgreSQL warehouse: egress to 5432 on the warehouse only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-warehouse-client" })
}

resource "aws_vpc_security_group_ingress_rule" "from_clients" {
  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL from ITC Lambdas"
  referenced_security_group_id = aws_security_group.client.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432

  tags = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "from_analysts" {
  for_each = var.analyst_security_group_ids

  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL from the analysts' route (${each.key})"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "client_to_db" {
  security_group_id            = aws_security_group.client.id
  description                  = "PostgreSQL to the warehouse"
  referenced_security_group_id = aws_security_group.this.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432

  tags = var.tags
}
