"""The synthetic Exchange's demand model: firms, templates, and each demand's versions, upload,
archive and defect, drawn from its own seeded ``random.Random`` (see :mod:`scripts.synthetic.exchange`
for the records, the answer keys and the outputs)."""

# ruff: noqa: S311 - seeded pseudo-random test data, not cryptography
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("America/New_York")
TABLES = ("documents", "documents_metadata", "templates", "documents_audit")
LAST_NAMES = ("Lee", "Ng", "O'Neil", "Park", "Quinn", "Ruiz", "Shaw", "Tran", "Uddin", "Vega", "Wolf", "Young")
_FIRM_WORDS = ("Injury Law", "& Associates", "Trial Lawyers", "Legal Group", "Law, P.C.")
_NASTY_FIRMS = ("O'Brien & Sons \"LLP\"", "Robert'); DROP TABLE raw.cases;--", "Tab\tand\\backslash Law")
_DEFECTS = ("missing_key", "bad_type", "bad_timestamp", "nul_byte", "too_long")
_DEFECT_WEIGHTS = (0.3, 0.25, 0.25, 0.18, 0.02)
# (malformed table, defect) whose corrupted field decides the bill (scripts/synthetic/exchange.py, _corrupt):
# in a document version the key or the firm name (sendingFirm, firmName); in the metadata the key or the
# upload time (createdTs). The other defects hit a document's creation time (documents, bad_timestamp) or
# the metadata's deliverable flag / document type: the record loads with that field NULL.
REJECTING_DEFECTS: frozenset[tuple[str, str]] = frozenset({
    ("documents", "missing_key"), ("documents", "bad_type"), ("documents", "nul_byte"), ("documents", "too_long"),
    ("metadata", "missing_key"), ("metadata", "bad_timestamp"),
})
TIME_UNITS = ("s", "ms", "mixed")


@dataclass(frozen=True)
class ExpectedCount:
    """What the invoices must say for one (month, firm): billable uploads and archives."""
    uploaded: int = 0
    archived: int = 0


@dataclass(frozen=True)
class ExchangeConfig:
    demands: int = 1000
    seed: int = 7
    firms: int = 12
    months: int = 4
    first_month: date = date(2026, 7, 1)
    templates: int = 24
    max_versions: int = 3
    client_template_share: float = 0.2      # of templates
    missing_template_share: float = 0.04    # of demands: a template id not in the templates table
    no_template_share: float = 0.06         # of demands: no template id (billed)
    archived_share: float = 0.35
    received_share: float = 0.6
    boundary_share: float = 0.08            # uploads on a month boundary in New York time
    dynamo_share: float = 0.2               # records in raw DynamoDB typed form (snapshot path)
    json_string_share: float = 0.15         # records whose nested objects are JSON text
    malformed_share: float = 0.003  # a normal day: rejects stay under the loads' ITC_MAX_REJECT_SHARE (0.01)
    big_string_chars: int = 1_100_000
    other_audit_share: float = 0.3          # DynamoDB fill only: non-archive audit records
    time_unit: str = "s"                    # epoch "s" (the original's form), "ms", or "mixed" per value

    def __post_init__(self) -> None:
        if self.demands < 0 or self.firms < 1 or self.months < 1 or self.templates < 1 or self.max_versions < 1:
            raise ValueError("demands must be >= 0 and firms, months, templates, max_versions >= 1")
        if self.first_month.day != 1:
            raise ValueError("first_month must be the first day of a month")
        if self.time_unit not in TIME_UNITS:
            raise ValueError(f"time_unit must be one of {', '.join(TIME_UNITS)} (got {self.time_unit!r})")


@dataclass(frozen=True)
class Demand:
    """The model of one demand; records are rendered from it."""

    number: int
    document_id: str
    firm: int
    versions: tuple[int, ...]           # firm index per version (last = latest)
    uploaded_ms: int
    template_id: str | None
    received_ms: tuple[int, ...]
    archived_ms: tuple[int, ...]        # DocumentArchived entry times (may be out of order)
    malformed: str | None               # None, "documents" or "metadata"
    defect: str | None

    @property
    def archived_at_ms(self) -> int | None:
        return max(self.archived_ms) if self.archived_ms else None

    @property
    def rejected(self) -> bool:
        """Whether the defect hits a field that decides the bill, so the load must reject the record (and
        the demand is not billed); a defect elsewhere only costs that field (stored as NULL)."""
        return self.malformed is not None and (self.malformed, self.defect or "bad_type") in REJECTING_DEFECTS


# ------------------------------------------------------------------------------------ the model

def firm_name(index: int) -> str:
    """The canonical (right-stripped) name of firm ``index``."""
    if index % 4 == 3 and index // 4 < len(_NASTY_FIRMS):
        return _NASTY_FIRMS[index // 4]
    return f"{LAST_NAMES[index % len(LAST_NAMES)]} {_FIRM_WORDS[index % len(_FIRM_WORDS)]} {index}"


def template_rows(config: ExchangeConfig) -> list[dict[str, Any]]:
    """Every template version (plain shape), deterministic."""
    rng = random.Random(config.seed * 7919 + 1)
    rows = []
    for k in range(config.templates):
        client = rng.random() < config.client_template_share
        name = (rng.choice(("Client {k} custom", "{k} client-level letter", "CLIENT {k} demand"))
                if client else rng.choice(("Standard demand {k}", "Policy limits {k}", "Medical specials {k}")))
        for version in range(1, rng.randint(1, 3) + 1):
            rows.append({"templateId": f"tpl-{k:04d}", "version": version, "templateName": name.format(k=k),
                         "defaultDemandConfig": {"sections": ["facts", "liability", "damages"][: 1 + version],
                                                 "letterhead": version % 2 == 0, "notes": f"v{version}"}})
    return rows


def client_template_ids(config: ExchangeConfig) -> set[str]:
    return {r["templateId"] for r in template_rows(config) if "client" in r["templateName"].lower()}


def _month_start(config: ExchangeConfig, offset: int) -> datetime:
    year = config.first_month.year + (config.first_month.month - 1 + offset) // 12
    month = (config.first_month.month - 1 + offset) % 12 + 1
    return datetime(year, month, 1, tzinfo=BUSINESS_TZ)


def _upload_ms(rng: random.Random, config: ExchangeConfig) -> int:
    m = rng.randrange(config.months)
    start = _month_start(config, m)
    end = _month_start(config, m + 1)
    if rng.random() < config.boundary_share:
        if rng.random() < 0.5 and m + 1 < config.months:  # 23:xx New York on the last day of the month
            local = (end - timedelta(days=1)).replace(hour=23, minute=rng.randrange(60), second=rng.randrange(60))
        else:  # 00:xx New York on the first day
            local = start.replace(hour=0, minute=rng.randrange(60), second=rng.randrange(60))
    else:
        days = (end.date() - start.date()).days
        local = start + timedelta(days=rng.randrange(days), seconds=rng.randrange(86400))
        local = local.replace(tzinfo=BUSINESS_TZ)
    return int(local.timestamp() * 1000) + rng.randrange(1000)


def iter_demands(config: ExchangeConfig) -> Iterator[Demand]:
    """The demand model, one demand at a time (deterministic by seed and demand number)."""
    templates = sorted({r["templateId"] for r in template_rows(config)})
    # nothing happens after the generated window (no archives in the future of the data)
    window_end_ms = int(_month_start(config, config.months).timestamp() * 1000) - 1
    for i in range(config.demands):
        rng = random.Random((config.seed << 32) ^ (i * 2654435761 % (1 << 32)))
        firm = rng.randrange(config.firms)
        n_versions = rng.randint(1, config.max_versions)
        versions = tuple([rng.randrange(config.firms) if rng.random() < 0.3 else firm
                          for _ in range(n_versions - 1)] + [firm])
        uploaded = _upload_ms(rng, config)
        roll = rng.random()
        if roll < config.no_template_share:
            template_id = None
        elif roll < config.no_template_share + config.missing_template_share:
            template_id = f"tpl-gone-{rng.randrange(50):04d}"
        else:
            template_id = rng.choice(templates)
        received = ()
        if rng.random() < config.received_share:
            received = tuple(uploaded + rng.randrange(60_000, 5 * 86_400_000) for _ in range(rng.randint(1, 2)))
        archived: tuple[int, ...] = ()
        if rng.random() < config.archived_share:
            first = uploaded + rng.randrange(3_600_000, 40 * 86_400_000)
            archived = (first,) if rng.random() < 0.7 else (first, first + rng.randrange(60_000, 20 * 86_400_000))
            archived = tuple(min(t, window_end_ms) for t in archived)
            if len(archived) == 2 and rng.random() < 0.5:
                archived = (archived[1], archived[0])  # out of time order: the later one still wins
        malformed = defect = None
        if rng.random() < config.malformed_share:
            malformed = rng.choice(("documents", "metadata"))
            defect = rng.choices(_DEFECTS, _DEFECT_WEIGHTS)[0]
        yield Demand(i, f"doc-{i:08d}", firm, versions, uploaded, template_id, received, archived, malformed, defect)
