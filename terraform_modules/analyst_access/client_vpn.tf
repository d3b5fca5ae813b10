# Route "client_vpn": AWS Client VPN into one private subnet, split tunnel (only the VPC's range goes
# through it), authenticated by mutual TLS (client certificates issued by the CA chain in ACM) or by
# SAML (the company's IdP). Every connection attempt is logged to a KMS-encrypted log group. The
# endpoint's network interfaces wear the route's security group, so the warehouse admits them and
# nothing else reaches beyond PostgreSQL on the warehouse.
locals {
  client_vpn_mutual_tls = var.client_vpn_root_certificate_chain_arn != null
  client_vpn_saml       = var.client_vpn_saml_provider_arn != null
}

resource "aws_cloudwatch_log_group" "client_vpn" {
  count = local.client_vpn ? 1 : 0

  name              = "/itc/${var.name_prefix}/analyst-client-vpn"
  retention_in_days = var.session_log_retention_days
  kms_key_id        = module.kms.key_arn

  tags = var.tags
}

resource "aws_cloudwatch_log_stream" "client_vpn" {
  count = local.client_vpn ? 1 : 0

  name           = "connections"
  log_group_name = aws_cloudwatch_log_group.client_vpn[0].name
}

resource "aws_ec2_client_vpn_endpoint" "this" {
  count = local.client_vpn ? 1 : 0

  description            = "${var.name_prefix} analysts to the warehouse"
  server_certificate_arn = var.client_vpn_server_certificate_arn
  client_cidr_block      = var.client_vpn_cidr_block
  vpc_id                 = var.vpc_id
  security_group_ids     = [aws_security_group.this.id]
  split_tunnel           = true
  transport_protocol     = "udp"
  session_timeout_hours  = 8
  self_service_portal    = "disabled"

  authentication_options {
    type                       = local.client_vpn_mutual_tls ? "certificate-authentication" : "federated-authentication"
    root_certificate_chain_arn = var.client_vpn_root_certificate_chain_arn
    saml_provider_arn          = var.client_vpn_saml_provider_arn
  }

  connection_log_options {
    enabled               = true
    cloudwatch_log_group  = aws_cloudwatch_log_group.client_vpn[0].name
    cloudwatch_log_stream = aws_cloudwatch_log_stream.client_vpn[0].name
  }

  tags = merge(var.tags, { Name = "${var.name_prefix}-analyst-client-vpn" })

  lifecycle {
    precondition {
      condition     = var.client_vpn_server_certificate_arn != null
      error_message = "route \"client_vpn\" needs client_vpn_server_certificate_arn (the VPN server's ACM certificate)."
    }
    precondition {
      condition     = local.client_vpn_mutual_tls != local.client_vpn_saml
      error_message = "route \"client_vpn\" needs exactly one of client_vpn_root_certificate_chain_arn (mutual TLS) or client_vpn_saml_provider_arn (SAML)."
    }
  }
}

resource "aws_ec2_client_vpn_network_association" "this" {
  count = local.client_vpn ? 1 : 0

  client_vpn_endpoint_id = aws_ec2_client_vpn_endpoint.this[0].id
  subnet_id              = var.subnet_ids[0]
}

# Authorised destination: the VPC's range (the security group narrows it to PostgreSQL on the warehouse).
resource "aws_ec2_client_vpn_authorization_rule" "vpc" {
  count = local.client_vpn ? 1 : 0

  client_vpn_endpoint_id = aws_ec2_client_vpn_endpoint.this[0].id
  target_network_cidr    = var.vpc_cidr_block
  authorize_all_groups   = var.client_vpn_access_group_id == null
  access_group_id        = var.client_vpn_access_group_id
  description            = "Analysts to the VPC (security group: PostgreSQL on the warehouse only)"
}
