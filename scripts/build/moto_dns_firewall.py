"""STAND-IN for Route 53 Resolver DNS Firewall in moto 5.2, which does not implement it (used by
scripts/build/tf_moto_server.py for `make tf-apply-local` only).

The calls the AWS provider makes for aws_route53_resolver_firewall_domain_list, _rule_group, _rule,
_rule_group_association and _config are kept in memory with the fields the provider reads; every
status is COMPLETE at once. Nothing is enforced (no DNS is filtered): it proves the resources apply
and destroy in the right order, not that the firewall blocks anything.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from moto.route53resolver.exceptions import ResourceNotFoundException
from moto.route53resolver.models import Route53ResolverBackend
from moto.route53resolver.responses import Route53ResolverResponse

# (account, region) -> kind -> id -> record (tags live in moto's own tagger)
_STORE: dict[tuple[str, str], dict[str, dict[str, dict[str, Any]]]] = {}


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _kinds(self: Route53ResolverResponse) -> dict[str, dict[str, dict[str, Any]]]:
    return _STORE.setdefault((self.current_account, self.region),
                             {"domain_list": {}, "rule_group": {}, "rule": {}, "association": {}, "config": {}})


def _get(self: Route53ResolverResponse, kind: str, key: str) -> dict[str, Any]:
    record = _kinds(self)[kind].get(key or "")
    if record is None:
        raise ResourceNotFoundException(f"{kind.replace('_', ' ')} {key} not found")
    return record


def _new(self: Route53ResolverResponse, kind: str, prefix: str, resource: str, **fields: Any) -> dict[str, Any]:
    rid = f"{prefix}-{uuid.uuid4().hex[:17]}"
    arn = f"arn:aws:route53resolver:{self.region}:{self.current_account}:{resource}/{rid}"
    record = {"Id": rid, "Arn": arn, "Status": "COMPLETE", "StatusMessage": "stand-in", "CreationTime": _now(),
              "ModificationTime": _now(), "CreatorRequestId": self._get_param("CreatorRequestId") or rid, **fields}
    _kinds(self)[kind][rid] = record
    self.route53resolver_backend.tagger.tag_resource(arn, list(self._get_param("Tags") or []))
    return record


def _delete(self: Route53ResolverResponse, kind: str, key: str) -> dict[str, Any]:
    record = _get(self, kind, key)
    del _kinds(self)[kind][key]
    self.route53resolver_backend.tagger.delete_all_tags_for_resource(record.get("Arn", ""))
    return {**record, "Status": "DELETING"}


# --- domain lists -------------------------------------------------------------------------------
def create_firewall_domain_list(self: Route53ResolverResponse) -> str:
    record = _new(self, "domain_list", "rslvr-fdl", "firewall-domain-list", Name=self._get_param("Name"),
                  DomainCount=0, Domains=[])  # fmt: skip
    return json.dumps({"FirewallDomainList": _public(record)})


def update_firewall_domains(self: Route53ResolverResponse) -> str:
    record = _get(self, "domain_list", self._get_param("FirewallDomainListId"))
    domains, operation = list(self._get_param("Domains") or []), self._get_param("Operation")
    current = record["Domains"]
    if operation == "ADD":
        current = sorted(set(current) | set(domains))
    elif operation == "REMOVE":
        current = [d for d in current if d not in set(domains)]
    else:  # REPLACE
        current = sorted(set(domains))
    record.update(Domains=current, DomainCount=len(current), ModificationTime=_now())
    return json.dumps({"Id": record["Id"], "Name": record["Name"], "Status": "COMPLETE", "StatusMessage": "stand-in"})


def get_firewall_domain_list(self: Route53ResolverResponse) -> str:
    record = _get(self, "domain_list", self._get_param("FirewallDomainListId"))
    return json.dumps({"FirewallDomainList": _public(record)})


def list_firewall_domains(self: Route53ResolverResponse) -> str:
    return json.dumps({"Domains": _get(self, "domain_list", self._get_param("FirewallDomainListId"))["Domains"]})


def delete_firewall_domain_list(self: Route53ResolverResponse) -> str:
    return json.dumps({"FirewallDomainList": _public(_delete(self, "domain_list",
                                                             self._get_param("FirewallDomainListId")))})


# --- rule groups and rules ----------------------------------------------------------------------
def create_firewall_rule_group(self: Route53ResolverResponse) -> str:
    record = _new(self, "rule_group", "rslvr-frg", "firewall-rule-group", Name=self._get_param("Name"), RuleCount=0,
                  OwnerId=self.current_account, ShareStatus="NOT_SHARED")  # fmt: skip
    return json.dumps({"FirewallRuleGroup": record})


def get_firewall_rule_group(self: Route53ResolverResponse) -> str:
    return json.dumps({"FirewallRuleGroup": _get(self, "rule_group", self._get_param("FirewallRuleGroupId"))})


def delete_firewall_rule_group(self: Route53ResolverResponse) -> str:
    return json.dumps({"FirewallRuleGroup": _delete(self, "rule_group", self._get_param("FirewallRuleGroupId"))})


_RULE_FIELDS = ("Name", "Priority", "Action", "BlockResponse", "BlockOverrideDomain", "BlockOverrideDnsType",
                "BlockOverrideTtl", "FirewallDomainRedirectionAction", "Qtype")


def create_firewall_rule(self: Route53ResolverResponse) -> str:
    group = _get(self, "rule_group", self._get_param("FirewallRuleGroupId"))
    _get(self, "domain_list", self._get_param("FirewallDomainListId"))
    rule = {"FirewallRuleGroupId": group["Id"], "FirewallDomainListId": self._get_param("FirewallDomainListId"),
            "CreationTime": _now(), "ModificationTime": _now(), "CreatorRequestId": self._get_param("CreatorRequestId"),
            **{f: self._get_param(f) for f in _RULE_FIELDS if self._get_param(f) is not None}}
    _kinds(self)["rule"][f"{group['Id']}:{rule['FirewallDomainListId']}"] = rule
    group["RuleCount"] = sum(1 for r in _kinds(self)["rule"].values() if r["FirewallRuleGroupId"] == group["Id"])
    return json.dumps({"FirewallRule": rule})


def update_firewall_rule(self: Route53ResolverResponse) -> str:
    key = f"{self._get_param('FirewallRuleGroupId')}:{self._get_param('FirewallDomainListId')}"
    rule = _get(self, "rule", key)
    rule.update({f: self._get_param(f) for f in _RULE_FIELDS if self._get_param(f) is not None})
    rule["ModificationTime"] = _now()
    return json.dumps({"FirewallRule": rule})


def list_firewall_rules(self: Route53ResolverResponse) -> str:
    group_id = self._get_param("FirewallRuleGroupId")
    _get(self, "rule_group", group_id)
    rules = [r for r in _kinds(self)["rule"].values() if r["FirewallRuleGroupId"] == group_id]
    return json.dumps({"FirewallRules": rules})


def delete_firewall_rule(self: Route53ResolverResponse) -> str:
    group_id = self._get_param("FirewallRuleGroupId")
    rule = _kinds(self)["rule"].pop(f"{group_id}:{self._get_param('FirewallDomainListId')}", None)
    if rule is None:
        raise ResourceNotFoundException("firewall rule not found")
    return json.dumps({"FirewallRule": rule})


# --- association with a VPC, and the VPC's firewall config --------------------------------------
def associate_firewall_rule_group(self: Route53ResolverResponse) -> str:
    _get(self, "rule_group", self._get_param("FirewallRuleGroupId"))
    record = _new(self, "association", "rslvr-frgassoc", "firewall-rule-group-association",
                  FirewallRuleGroupId=self._get_param("FirewallRuleGroupId"), VpcId=self._get_param("VpcId"),
                  Name=self._get_param("Name"), Priority=self._get_param("Priority"),
                  MutationProtection=self._get_param("MutationProtection") or "DISABLED")  # fmt: skip
    return json.dumps({"FirewallRuleGroupAssociation": record})


def get_firewall_rule_group_association(self: Route53ResolverResponse) -> str:
    record = _get(self, "association", self._get_param("FirewallRuleGroupAssociationId"))
    return json.dumps({"FirewallRuleGroupAssociation": record})


def update_firewall_rule_group_association(self: Route53ResolverResponse) -> str:
    record = _get(self, "association", self._get_param("FirewallRuleGroupAssociationId"))
    record.update({f: self._get_param(f) for f in ("Name", "Priority", "MutationProtection")
                   if self._get_param(f) is not None})  # fmt: skip
    return json.dumps({"FirewallRuleGroupAssociation": record})


def disassociate_firewall_rule_group(self: Route53ResolverResponse) -> str:
    record = _delete(self, "association", self._get_param("FirewallRuleGroupAssociationId"))
    return json.dumps({"FirewallRuleGroupAssociation": record})


def _config(self: Route53ResolverResponse, resource_id: str) -> dict[str, Any]:
    configs = _kinds(self)["config"]
    return configs.setdefault(resource_id, {"Id": f"rslvr-fc-{uuid.uuid4().hex[:17]}", "ResourceId": resource_id,
                                            "OwnerId": self.current_account, "FirewallFailOpen": "DISABLED"})


def get_firewall_config(self: Route53ResolverResponse) -> str:
    return json.dumps({"FirewallConfig": _config(self, self._get_param("ResourceId"))})


def update_firewall_config(self: Route53ResolverResponse) -> str:
    config = _config(self, self._get_param("ResourceId"))
    config["FirewallFailOpen"] = self._get_param("FirewallFailOpen") or config["FirewallFailOpen"]
    return json.dumps({"FirewallConfig": config})


def list_firewall_configs(self: Route53ResolverResponse) -> str:
    return json.dumps({"FirewallConfigs": list(_kinds(self)["config"].values())})


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "Domains"}


STAND_INS = {name: obj for name, obj in dict(globals()).items()
             if callable(obj) and not name.startswith("_") and "firewall" in name}  # fmt: skip


def install() -> None:
    """Add the stand-ins to moto's Route 53 Resolver responder, and let its tag calls accept their ARNs."""
    for name, function in STAND_INS.items():
        setattr(Route53ResolverResponse, name, function)
    matched_arn = Route53ResolverBackend._matched_arn

    def _matched_arn_or_firewall(backend: Route53ResolverBackend, resource_arn: str) -> None:
        if ":firewall-" not in resource_arn:
            matched_arn(backend, resource_arn)

    Route53ResolverBackend._matched_arn = _matched_arn_or_firewall
