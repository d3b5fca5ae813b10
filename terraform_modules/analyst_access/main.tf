# The analysts' route to the private warehouse (docs/access.md "Reaching the warehouse").
#
#   main.tf        the key, the log groups, the route's security group, the Session Manager documents
#   bastion.tf     route "ssm": the port-forwarding instance, its role and instance profile
#   iam.tf         route "ssm": the policy analysts are given (start a session to the warehouse only)
#   client_vpn.tf  route "client_vpn": the Client VPN endpoint (mutual TLS or SAML)
#
# Either way the route's security group has no inbound rule and one way out: PostgreSQL to the
# warehouse's security group, which admits analysts from this group only (itc_data_warehouse,
# analyst_security_group_ids). TLS is end to end: the tunnel carries the PostgreSQL TLS stream, so
# clients keep sslmode=verify-full against the RDS name.
data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  ssm        = var.route == "ssm"
  client_vpn = var.route == "client_vpn"

  # The one document analysts may start: port forwarding to the warehouse, host and port fixed.
  port_forward_document_name = "${var.name_prefix}-warehouse-port-forward"
}

# Encrypts the session and connection logs, the instance's disk and the Session Manager data stream.
module "kms" {
  source = "../kms_key"

  name                  = "${var.name_prefix}-analyst-access"
  description           = "${var.name_prefix} analysts' route: session logs, the port-forwarding instance's disk, session data"
  allow_cloudwatch_logs = true

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "sessions" {
  count = local.ssm ? 1 : 0

  name              = "/itc/${var.name_prefix}/analyst-sessions"
  retention_in_days = var.session_log_retention_days
  kms_key_id        = module.kms.key_arn

  tags = var.tags
}

# The route's own group: no ingress rule at all (Session Manager needs none: the agent dials out to
# the endpoints); egress to PostgreSQL on the warehouse and, for "ssm", HTTPS to the VPC endpoints.
resource "aws_security_group" "this" {
  name        = "${var.name_prefix}-analyst-route"
  description = "Analysts' route (${var.route}): no inbound; out to PostgreSQL on the warehouse only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-analyst-route" })
}

resource "aws_vpc_security_group_egress_rule" "to_db" {
  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL to the warehouse"
  referenced_security_group_id = var.db_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = var.db_port
  to_port                      = var.db_port

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "to_endpoints" {
  count = local.ssm ? 1 : 0

  security_group_id            = aws_security_group.this.id
  description                  = "HTTPS to the interface VPC endpoints (Session Manager, logs, KMS)"
  referenced_security_group_id = var.endpoints_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.endpoints_security_group_id != null
      error_message = "route \"ssm\" needs endpoints_security_group_id: the instance reaches Session Manager through the VPC endpoints only."
    }
  }
}

# Session Manager preferences of the region (the document every session's settings come from):
# shell-session output streamed to the KMS log group, refused when the group is not encrypted,
# session data encrypted with the key, idle and maximum durations. Port-forwarding sessions carry
# the PostgreSQL TLS stream, which Session Manager does not record: their audit is CloudTrail's
# StartSession / TerminateSession events (who, when, which document, target).
resource "aws_ssm_document" "preferences" {
  count = local.ssm && var.manage_session_preferences ? 1 : 0

  name            = "SSM-SessionManagerRunShell"
  document_type   = "Session"
  document_format = "JSON"
  content = jsonencode({
    schemaVersion = "1.0"
    description   = "Session Manager preferences: logs to a KMS-encrypted log group, KMS session encryption"
    sessionType   = "Standard_Stream"
    inputs = {
      s3BucketName                = ""
      s3KeyPrefix                 = ""
      s3EncryptionEnabled         = true
      cloudWatchLogGroupName      = aws_cloudwatch_log_group.sessions[0].name
      cloudWatchEncryptionEnabled = true
      cloudWatchStreamingEnabled  = true
      kmsKeyId                    = module.kms.key_arn
      runAsEnabled                = false
      runAsDefaultUser            = ""
      idleSessionTimeout          = tostring(var.idle_session_timeout_minutes)
      maxSessionDuration          = tostring(var.max_session_duration_minutes)
      shellProfile                = { linux = "", windows = "" }
    }
  })

  tags = var.tags
}

# AWS-StartPortForwardingSessionToRemoteHost takes the host and port as parameters, and IAM cannot
# condition StartSession on a document's parameters; this copy fixes them to the warehouse, so the
# policy analysts hold (iam.tf) reaches nothing else. The security group enforces the same below it.
resource "aws_ssm_document" "port_forward" {
  count = local.ssm ? 1 : 0

  name            = local.port_forward_document_name
  document_type   = "Session"
  document_format = "JSON"
  content = jsonencode({
    schemaVersion = "1.0"
    description   = "Port forwarding to the ITC warehouse (${var.db_address}:${var.db_port}) only"
    sessionType   = "Port"
    parameters = {
      localPortNumber = {
        type           = "String"
        description    = "Port on the analyst's machine"
        allowedPattern = "^([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$"
        default        = "15432"
      }
    }
    properties = {
      type            = "LocalPortForwarding"
      host            = var.db_address
      portNumber      = tostring(var.db_port)
      localPortNumber = "{{ localPortNumber }}"
    }
  })

  tags = var.tags
}
