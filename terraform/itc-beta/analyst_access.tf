# The analysts' route to the private warehouse: Session Manager port forwarding through a private
# instance with no inbound rule (default), or AWS Client VPN. The warehouse admits PostgreSQL from
# this route's security group only (main.tf, module "warehouse"). docs/access.md says how analysts
# connect through it with sslmode=verify-full; `itc access grant` prints their steps.

variable "analyst_route" {
  description = "The analysts' route to the warehouse: `ssm` (Session Manager port forwarding, default) or `client_vpn`."
  type        = string
  default     = "ssm"

  validation {
    condition     = contains(["ssm", "client_vpn"], var.analyst_route)
    error_message = "analyst_route must be \"ssm\" or \"client_vpn\"."
  }
}

variable "client_vpn_server_certificate_arn" {
  description = "analyst_route = client_vpn: ACM certificate ARN of the VPN server."
  type        = string
  default     = null
}

variable "client_vpn_root_certificate_chain_arn" {
  description = "analyst_route = client_vpn with mutual TLS: ACM ARN of the CA chain of the analysts' client certificates."
  type        = string
  default     = null
}

variable "client_vpn_saml_provider_arn" {
  description = "analyst_route = client_vpn with SAML: ARN of the IAM SAML provider of the company's IdP."
  type        = string
  default     = null
}

module "analyst_access" {
  source = "../../terraform_modules/analyst_access"

  name_prefix                 = local.name_prefix
  route                       = var.analyst_route
  vpc_id                      = module.vpc.vpc_id
  vpc_cidr_block              = module.vpc.vpc_cidr_block
  subnet_ids                  = module.vpc.private_subnet_ids
  endpoints_security_group_id = module.vpc.endpoints_security_group_id
  db_security_group_id        = module.warehouse.db_security_group_id
  db_address                  = module.warehouse.db_instance_address
  db_port                     = module.warehouse.db_instance_port

  client_vpn_server_certificate_arn     = var.client_vpn_server_certificate_arn
  client_vpn_root_certificate_chain_arn = var.client_vpn_root_certificate_chain_arn
  client_vpn_saml_provider_arn          = var.client_vpn_saml_provider_arn

  tags = local.tags
}

output "analyst_route" {
  description = "The analysts' route (ITC_ANALYST_ROUTE of `itc access grant`)."
  value       = var.analyst_route
}

output "analyst_bastion_instance_id" {
  description = "Session Manager target of the analysts' tunnel (ITC_ANALYST_SSM_TARGET of `itc access grant`); null for client_vpn."
  value       = module.analyst_access.instance_id
}

output "analyst_port_forward_document_name" {
  description = "The Session Manager document analysts start (ITC_ANALYST_SSM_DOCUMENT of `itc access grant`); null for client_vpn."
  value       = module.analyst_access.port_forward_document_name
}

output "analyst_access_policy_arn" {
  description = "Managed policy to attach to the analysts' SSO permission set or group (start the warehouse tunnel only)."
  value       = module.analyst_access.analyst_access_policy_arn
}

output "analyst_access_policy_json" {
  description = "The same policy as JSON (for an SSO permission set's inline policy)."
  value       = module.analyst_access.analyst_access_policy_json
}

output "analyst_start_session_command" {
  description = "Exact command an analyst runs to open the tunnel to the warehouse (local port 15432)."
  value       = module.analyst_access.start_session_command
}

output "analyst_client_vpn_endpoint_id" {
  description = "Client VPN endpoint of the analysts (analyst_route = client_vpn); null for ssm."
  value       = module.analyst_access.client_vpn_endpoint_id
}
