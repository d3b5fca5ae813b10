# ---------------------------------------------------------------------------------------------
# Route 53 Resolver DNS Firewall: the VPC resolves only the Quickbase host names
# (var.quickbase_domains) and the AWS service names of this region (and additional_aws_regions);
# every other query is answered NXDOMAIN. This is what narrows the Verify+ function's HTTPS egress
# through the NAT gateway (its security group cannot: Quickbase publishes no address ranges).
# Fail closed: if the firewall cannot be evaluated, queries are not answered.
# ---------------------------------------------------------------------------------------------
locals {
  aws_service_regions = distinct(concat([local.region], var.additional_aws_regions))

  # <service>.<region>.amazonaws.com (interface endpoints' private DNS, the S3/DynamoDB gateway
  # names), <instance>.<id>.<region>.rds.amazonaws.com, and S3's global names in us-east-1.
  aws_service_domains = distinct(concat(
    flatten([for r in local.aws_service_regions : ["*.${r}.${local.dns_suffix}", "*.${r}.rds.${local.dns_suffix}"]]),
    contains(local.aws_service_regions, "us-east-1") ? ["s3.${local.dns_suffix}", "*.s3.${local.dns_suffix}"] : [],
  ))

  dns_firewall_lists = {
    quickbase    = { domains = var.quickbase_domains, action = "ALLOW", priority = 100 }
    aws_services = { domains = local.aws_service_domains, action = "ALLOW", priority = 200 }
    everything   = { domains = ["*"], action = "BLOCK", priority = 1000 }
  }
}

resource "aws_route53_resolver_firewall_domain_list" "this" {
  for_each = local.dns_firewall_lists

  name    = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  domains = each.value.domains

  tags = var.tags
}

resource "aws_route53_resolver_firewall_rule_group" "this" {
  name = "${var.name_prefix}-egress"

  tags = var.tags
}

resource "aws_route53_resolver_firewall_rule" "this" {
  for_each = local.dns_firewall_lists

  name                    = "${var.name_prefix}-${lower(each.value.action)}-${replace(each.key, "_", "-")}"
  action                  = each.value.action
  block_response          = each.value.action == "BLOCK" ? "NXDOMAIN" : null
  firewall_domain_list_id = aws_route53_resolver_firewall_domain_list.this[each.key].id
  firewall_rule_group_id  = aws_route53_resolver_firewall_rule_group.this.id
  priority                = each.value.priority
  # An allowed name's CNAME chain (Quickbase behind a load balancer or CDN) is trusted, not re-checked
  # against the catch-all block.
  firewall_domain_redirection_action = each.value.action == "ALLOW" ? "TRUST_REDIRECTION_DOMAIN" : "INSPECT_REDIRECTION_DOMAIN"
}

resource "aws_route53_resolver_firewall_rule_group_association" "this" {
  name                   = "${var.name_prefix}-egress"
  firewall_rule_group_id = aws_route53_resolver_firewall_rule_group.this.id
  vpc_id                 = aws_vpc.this.id
  priority               = 101
  mutation_protection    = "ENABLED"

  tags = var.tags

  depends_on = [aws_route53_resolver_firewall_rule.this]
}

resource "aws_route53_resolver_firewall_config" "this" {
  resource_id        = aws_vpc.this.id
  firewall_fail_open = "DISABLED"
}
