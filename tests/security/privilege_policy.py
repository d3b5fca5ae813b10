"""The privilege policy that tests/security/test_privilege_matrix.py checks, written from the access model
(docs/adr/0003-warehouse-roles-and-phi.md, docs/access.md) independently of the SQL that grants it: which login
may do which act on which object, schema and role.
"""

from __future__ import annotations

from dataclasses import dataclass

from itc_common_utilities.phi import PHI_COLUMNS

# ------------------------------------------------------------------------------------------ the policy

SCHEMAS = ("raw", "curated", "curated_deid", "analytics", "ref", "ops", "compat")
ROLES = ("itc_migrator", "itc_loader_demand", "itc_loader_verifyplus", "itc_refresher", "analyst",
         "analyst+phi_reader", "finance")
ACTIONS = ("SELECT", "PHI", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "DROP", "REFRESH", "REFRESH_FN")
LETTER = {"SELECT": "S", "PHI": "P", "INSERT": "I", "UPDATE": "U", "DELETE": "D", "TRUNCATE": "T", "DROP": "X",
          "REFRESH": "R", "REFRESH_FN": "F"}
# tables whose TRUNCATE (CASCADE) their own triggers refuse, even to the owner: the append-only records,
# and ref.products, which closed invoice lines reference
APPEND_ONLY = {"analytics.closed_months", "analytics.closed_invoice_lines", "analytics.closed_billable_units",
               "ops.access_grants", "ops.finance_audit", "ref.products"}
# each per-source loader login's own raw tables (ops.apply_loader_login_grants); its ops rows are
# limited to its source by row-level security (ops.load_runs) and a trigger (ops.rejected_records):
# tests/security/test_loader_logins.py
SOURCE_LOADER_TABLES = {"itc_loader_demand": {"raw.cases", "raw.metadata", "raw.templates", "raw.audit"},
                        "itc_loader_verifyplus": {"raw.verifyplus"}}
# the limited data set (ops.limited_data_set): unit ledgers with source ids and exact times, finance and the
# quality checks only, never analysts (docs/adr/0003)
LIMITED_DATA_SET = {"analytics.billable_unit_events", "analytics.billable_units", "analytics.invoice_units",
                    "analytics.pending_adjustment_units", "analytics.closed_billable_units"}
# what finance edits (every change audited in ops.finance_audit)
FINANCE_WRITES = {"ref.price_list": {"INSERT", "UPDATE"}, "ref.billing_accounts": {"INSERT", "UPDATE"},
                  "ref.billing_account_names": {"INSERT", "UPDATE", "DELETE"}}

# what the field quarantine notes and the list of fields that decide a bill: the refresher (quality
# checks) and finance read them
FIELD_QUARANTINE = ("ops.quarantined_fields", "ops.billing_critical_fields")


@dataclass(frozen=True)
class Obj:
    schema: str
    name: str
    kind: str  # r table, v view, m materialized view
    columns: tuple[str, ...]  # insertable/updatable-looking columns (no identity/generated)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def phi(self) -> frozenset[str]:
        return PHI_COLUMNS.get(self.qualified, frozenset())


def expected(role: str, obj: Obj, action: str) -> str | None:
    """'ok', 'denied', 'refused' (fails for a reason other than privileges), or None (not applicable)."""
    if action == "PHI" and not obj.phi:
        return None
    if action in ("REFRESH", "REFRESH_FN") and obj.kind != "m":
        return None
    writes = action in ("INSERT", "UPDATE", "DELETE", "TRUNCATE")
    if writes and obj.kind != "r":
        return "refused"  # views and materialized views are not writable by anyone
    if role == "itc_migrator":  # the owner: everything its objects support
        if action == "TRUNCATE" and obj.qualified in APPEND_ONLY:
            return "refused"
        return "ok"
    allowed: set[str] = set()
    if role in SOURCE_LOADER_TABLES:
        if obj.qualified in SOURCE_LOADER_TABLES[role]:
            allowed = {"SELECT", "PHI", "INSERT", "UPDATE", "DELETE"}
        elif obj.qualified in ("ops.load_runs", "ops.rejected_records", "ops.quarantined_fields"):
            allowed = {"SELECT", "INSERT"}  # no UPDATE: ops.finish_load_run
        elif obj.qualified == "ops.latest_loads":  # the ordering guard
            allowed = {"SELECT"}
    elif role == "itc_refresher":
        if obj.schema in ("raw", "curated", "curated_deid", "analytics", "ref"):
            allowed = {"SELECT"}
        if obj.qualified in ("ops.load_runs", "ops.latest_loads", "ops.rejected_records", *FIELD_QUARANTINE):
            allowed = {"SELECT"}
        if obj.qualified in ("ops.quality_results", "ops.view_refreshes"):
            allowed = {"SELECT", "INSERT"}
        if obj.kind == "m":
            allowed.add("REFRESH_FN")
    elif role in ("analyst", "analyst+phi_reader"):
        if obj.schema in ("curated_deid", "analytics", "ref", "compat") and obj.qualified not in LIMITED_DATA_SET:
            allowed = {"SELECT"}
        if role == "analyst+phi_reader" and obj.schema in ("raw", "curated"):
            allowed = {"SELECT", "PHI"}
    elif role == "finance":
        if obj.schema in ("analytics", "ref") or obj.qualified in ("ops.finance_audit", *FIELD_QUARANTINE):
            allowed = {"SELECT", *FINANCE_WRITES.get(obj.qualified, set())}
    return "ok" if action in allowed else "denied"


EXPECTED_CREATE = {  # role -> schemas it may create objects in
    "itc_migrator": set(SCHEMAS),
}
# itc_migrator: REFRESH ... CONCURRENTLY builds its diff in a temporary table as the owner (41_grant_temporary_*.sql)
EXPECTED_TEMP = {"itc_migrator": True, "itc_loader_demand": True, "itc_loader_verifyplus": True,
                 "itc_refresher": False, "analyst": False, "analyst+phi_reader": False, "finance": False}
EXPECTED_SET_ROLE = {  # role -> which of these it may SET ROLE to
    "itc_migrator": set(), "itc_loader_demand": set(), "itc_loader_verifyplus": set(),
    "itc_refresher": {"all_read_only"},
    "analyst": {"itc_analyst"}, "analyst+phi_reader": {"itc_analyst", "phi_reader"}, "finance": {"itc_finance"},
}
CLOSES_MONTHS = {"itc_migrator", "finance"}
SET_ROLE_TARGETS = ("itc_migrator", "itc_loader_demand", "itc_loader_verifyplus", "phi_reader", "itc_analyst",
                    "itc_finance", "all_read_only")
