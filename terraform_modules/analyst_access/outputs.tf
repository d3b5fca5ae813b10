output "security_group_id" {
  description = "The route's security group (no inbound rule): the warehouse admits analysts from this group only."
  value       = aws_security_group.this.id
}

output "instance_id" {
  description = "Route \"ssm\": id of the port-forwarding instance (the --target of `aws ssm start-session`); null otherwise."
  value       = local.ssm ? aws_instance.this[0].id : null
}

output "port_forward_document_name" {
  description = "Route \"ssm\": the Session Manager document analysts start (host and port fixed to the warehouse); null otherwise."
  value       = local.ssm ? aws_ssm_document.port_forward[0].name : null
}

output "analyst_access_policy_json" {
  description = "Route \"ssm\": the IAM policy to give analysts (StartSession on the instance with the warehouse document, their own sessions); null otherwise."
  value       = local.analyst_policy
}

output "analyst_access_policy_arn" {
  description = "Route \"ssm\": ARN of the same policy as a managed policy, to attach to an SSO permission set or group; null otherwise."
  value       = local.ssm ? aws_iam_policy.analysts[0].arn : null
}

output "start_session_command" {
  description = "Route \"ssm\": the command an analyst runs to open the tunnel (local port 15432; change localPortNumber at will); null otherwise."
  value = local.ssm ? join(" ", [
    "aws ssm start-session --region ${local.region}",
    "--target ${aws_instance.this[0].id}",
    "--document-name ${aws_ssm_document.port_forward[0].name}",
    "--parameters localPortNumber=15432",
  ]) : null
}

output "session_log_group_name" {
  description = "Route \"ssm\": KMS-encrypted log group of Session Manager session output; null otherwise."
  value       = local.ssm ? aws_cloudwatch_log_group.sessions[0].name : null
}

output "client_vpn_endpoint_id" {
  description = "Route \"client_vpn\": id of the Client VPN endpoint (download its client configuration with `aws ec2 export-client-vpn-client-configuration`); null otherwise."
  value       = local.client_vpn ? aws_ec2_client_vpn_endpoint.this[0].id : null
}

output "client_vpn_log_group_name" {
  description = "Route \"client_vpn\": KMS-encrypted log group of the VPN's connection log; null otherwise."
  value       = local.client_vpn ? aws_cloudwatch_log_group.client_vpn[0].name : null
}

output "kms_key_arn" {
  description = "The module's key (logs, the instance's disk, session data)."
  value       = module.kms.key_arn
}
