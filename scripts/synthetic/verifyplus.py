"""Deterministic synthetic Verify+ requests, shaped like the Quickbase report (docs/design.md Appendix A).

The same ``(config)`` always gives the same records, and record ``i`` is built on its own (from
``seed`` and ``i``), so a simulator can serve any page of a million-record report without holding it
in memory. The data carries what the pipeline must survive:

- currency as formatted text (``"$25,000.00"``) or as a JSON number; empty values (``""``, null);
- duplicate and excluded-from-reporting requests; assignee user objects;
- a configurable number of firms and months, with created datetimes on both sides of month
  boundaries in America/New_York (e.g. 23:30 on 31 October New York = 03:30Z on 1 November);
- hostile strings (quotes, ``'; DROP TABLE …``, emoji, RTL marks, ``\\N``, tabs/newlines, long text);
- a configurable share of malformed records (bad request id, bad currency, bad date/timestamp, bad
  number, wrong type, NUL byte, text too long), each with the reason the loader must give.

:meth:`VerifyPlusDataset.expected_billable` computes from the generated data alone the billable
Verify+ count per (month in America/New_York, firm): not duplicate, not excluded from reporting,
and not malformed (a malformed record is rejected by the load, so it is never billed).

    python -m scripts.synthetic.verifyplus --records 1000 --seed 7 --summary
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scripts.synthetic.exchange import firm_name
from verifyplus_pipeline.fields import REPORT_FIELDS

BUSINESS_TZ = ZoneInfo("America/New_York")
MAX_TEXT_CHARS = 10_000  # the loader's limit for one text value (reason too_long beyond it)

HOSTILE_STRINGS: tuple[str, ...] = (
    "O'Brien said \"it's fine\"",
    "'; DROP TABLE raw.verifyplus; --",
    "Robert'); DELETE FROM ops.load_runs;--",
    "emoji 🚗💥🙂 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "\u202eRTL override\u202c and \u200fmark\u200e שלום مرحبا",
    "tab\there\nnew line\r\nand back\\slash",
    "\\N",
    "NULL",
    "   leading and trailing spaces   ",
    "<script>alert('x')</script>",
    "$(rm -rf /) `whoami` %s %d {0} {{}}",
    "ẑ̶̢a̷l̵g̸o̴ text",
    "long " + "lorem ipsum dolor sit amet " * 150,
)

# the report fields that decide a bill, as a reader of the business rules lists them (not the pipeline's
# list): a malformed value there costs the request; anywhere else only that field (stored as NULL)
BILLING_LABELS: frozenset[str] = frozenset({
    "Request ID", "Request Created Datetime", "Firm Name", "Duplicate Request", "Exclude From Reporting"})
MALFORMED_KINDS: tuple[str, ...] = (
    "bad_request_id", "missing_key", "bad_currency", "bad_date", "bad_timestamp", "bad_number", "bad_type",
    "nul_byte", "too_long",
)

_SURNAMES = (
    "Abbott", "Baker", "Castillo", "Dubois", "Ellison", "Fitzgerald", "Garcia", "Hughes", "Ibarra", "Jensen",
    "Kowalski", "Lopez", "Morrison", "Nguyen", "O'Connor", "Patel", "Quinn", "Rossi", "Schmidt", "Tanaka",
    "Underwood", "Vargas", "Whitaker", "Xu", "Young", "Zimmerman", "Müller", "Ström", "Núñez", "D'Angelo",
)
_FIRST = ("Ava", "Ben", "Chloe", "Dev", "Elena", "Femi", "Grace", "Hiro", "Isla", "Jamal", "Kira", "Luis",
          "Maya", "Noah", "Olga", "Priya", "Ravi", "Sofia", "Tom", "Zoë")
_STATES = ("NY", "NJ", "CA", "TX", "FL", "GA", "IL", "PA", "OH", "AZ", "NV", "WA")
_CARRIERS = ("Acme Mutual", "Liberty Shield", "Granite State Insurance", "Pioneer Casualty", "Blue Harbor",
             "Keystone General", "Summit Auto")
_STATUS = ("Open", "In Progress", "Pending Carrier", "Closed", "Cancelled")
_LIMITS = (15_000, 25_000, 30_000, 50_000, 100_000, 250_000, 300_000, 500_000, 1_000_000)


@dataclass(frozen=True)
class SyntheticConfig:
    records: int = 1_000
    seed: int = 42
    firms: int = 12
    months: int = 3
    start_month: str = "2026-08"  # YYYY-MM, first billing month (America/New_York)
    malformed_share: float = 0.003  # a normal day: rejects stay under the loads' ITC_MAX_REJECT_SHARE (0.01)
    hostile_share: float = 0.03
    duplicate_share: float = 0.05
    excluded_share: float = 0.04
    empty_share: float = 0.08
    boundary_share: float = 0.15  # created within an hour of a month boundary (New York)
    currency_text_share: float = 0.6
    extra_fields: tuple[tuple[str, str], ...] = ()  # (label, kind): report fields the warehouse lacks

    def __post_init__(self) -> None:
        if self.records < 0 or self.firms < 1 or self.months < 1:
            raise ValueError("records must be >= 0, firms and months >= 1")
        datetime.strptime(self.start_month, "%Y-%m")
        for name in ("malformed_share", "hostile_share", "duplicate_share", "excluded_share", "empty_share",
                     "boundary_share", "currency_text_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")


@dataclass(frozen=True)
class RecordTruth:
    """What the generator knows about record ``index``: the answer key for tests."""

    index: int
    request_id: int | None
    firm: str
    created_utc: datetime
    month: str  # YYYY-MM in America/New_York
    duplicate: bool
    excluded: bool
    reject_reason: str | None = None  # the reason code the loader must give, when a billing-critical field is bad
    hostile_labels: tuple[str, ...] = field(default_factory=tuple)
    quarantined: tuple[str, str] | None = None  # (label, reason): a bad value the load stores as NULL, record kept

    @property
    def billable(self) -> bool:
        return self.reject_reason is None and not self.duplicate and not self.excluded


def _months(start: str, count: int) -> list[tuple[int, int]]:
    year, month = (int(p) for p in start.split("-"))
    out = []
    for _ in range(count):
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _iso_z(moment: datetime, rng: random.Random) -> str:
    """An instant as Quickbase-style ISO text: mostly UTC ``Z``, sometimes with a New York offset."""
    if rng.random() < 0.2:
        return moment.astimezone(BUSINESS_TZ).isoformat(timespec="seconds")
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{moment.microsecond // 1000:03d}Z" if rng.random() < 0.5 else "Z")


class VerifyPlusDataset:
    """The synthetic report: ``record(i)`` for i in ``range(len(dataset))``, each built independently."""

    def __init__(self, config: SyntheticConfig | None = None, **overrides: Any) -> None:
        self.config = config or SyntheticConfig(**overrides)
        cfg = self.config
        # the same firms as the synthetic Exchange data, so one firm's invoice has both products
        self.firms: tuple[str, ...] = tuple(firm_name(i) for i in range(cfg.firms))
        self.months = _months(cfg.start_month, cfg.months)
        self.labels: tuple[tuple[str, str], ...] = tuple(
            (f.label, f.kind) for f in REPORT_FIELDS
        ) + tuple(cfg.extra_fields)
        self._answer_cache: tuple[dict[tuple[str, str], int], dict[str, int], int] | None = None

    def __len__(self) -> int:
        return self.config.records

    # ---------------------------------------------------------------------------------- records
    def record(self, index: int) -> dict[str, Any]:
        return self._build(index)[0]

    def truth(self, index: int) -> RecordTruth:
        return self._build(index)[1]

    def records(self, start: int = 0, stop: int | None = None) -> Iterator[dict[str, Any]]:
        for i in range(start, min(len(self), stop if stop is not None else len(self))):
            yield self.record(i)

    def truths(self) -> Iterator[RecordTruth]:
        for i in range(len(self)):
            yield self.truth(i)

    def request_id(self, index: int) -> int:
        return 100_000 + index * 7 + (index % 5)

    def _created(self, rng: random.Random) -> datetime:
        year, month = rng.choice(self.months)
        first = datetime(year, month, 1, tzinfo=BUSINESS_TZ)
        ny, nm = _next_month(year, month)
        nxt = datetime(ny, nm, 1, tzinfo=BUSINESS_TZ)
        if rng.random() < self.config.boundary_share:
            # just before midnight at the end of the month, or just after it at the start (New York)
            if rng.random() < 0.5:
                local = nxt - timedelta(seconds=rng.randint(1, 3600))
            else:
                local = first + timedelta(seconds=rng.randint(0, 3599))
            return local.replace(microsecond=rng.randint(0, 999) * 1000).astimezone(UTC)
        span = int((nxt.astimezone(UTC) - first.astimezone(UTC)).total_seconds())
        return first.astimezone(UTC) + timedelta(seconds=rng.randint(0, span - 1), milliseconds=rng.randint(0, 999))

    def _value(self, rng: random.Random, label: str, kind: str, created: datetime) -> Any:
        if kind == "currency":
            amount = rng.choice(_LIMITS)
            if rng.random() < self.config.currency_text_share:
                return f"${amount:,.2f}"
            return amount if rng.random() < 0.5 else float(amount)
        if kind == "int":
            return rng.randint(0, 12)
        if kind == "numeric":
            return round(rng.uniform(0, 45), 1) if rng.random() < 0.7 else rng.randint(0, 45)
        if kind == "checkbox":
            return rng.random() < 0.3
        if kind == "date":
            day = created.date() - timedelta(days=rng.randint(0, 400))
            return day.isoformat()
        if kind == "datetime":
            return _iso_z(created + timedelta(hours=rng.randint(1, 24 * 20), seconds=rng.randint(0, 3599)), rng)
        if kind == "user":
            first, last = rng.choice(_FIRST), rng.choice(_SURNAMES)
            uid = rng.randint(10_000_000, 99_999_999)
            return {"id": f"{uid}.{rng.randint(1000, 9999):x}", "email": f"{first.lower()}.{uid}@verify.example",
                    "name": f"{first} {last}", "userName": f"{first.lower()}{uid}"}
        # text
        if "Status" in label:
            return rng.choice(_STATUS)
        if label in ("Accident State",):
            return rng.choice(_STATES)
        if label == "Reporting Carrier":
            return rng.choice(_CARRIERS)
        if "Policy Number" in label:
            return f"POL-{rng.randint(0, 10**9):09d}"
        if "Claim Number" in label:
            return f"CLM-{rng.randint(0, 10**8):08d}-{rng.choice('ABCDEFG')}"
        if "Name" in label or label in ("Reporting Insured", "Verify Assignee"):
            return f"{rng.choice(_FIRST)} {rng.choice(_SURNAMES)}"
        if label == "Request Type":
            return rng.choice(("Standard", "Rush", "Re-verify"))
        if label == "UM Stacking":
            return rng.choice(("Stacked", "Unstacked", "N/A"))
        if label == "Coverage":
            return rng.choice(("Full", "Liability only", "None found"))
        return f"{label} {rng.randint(1, 999)}"

    def _build(self, index: int) -> tuple[dict[str, Any], RecordTruth]:
        if not 0 <= index < len(self):
            raise IndexError(index)
        cfg = self.config
        rng = random.Random(f"vp:{cfg.seed}:{index}")  # noqa: S311 - synthetic data, not security
        created = self._created(rng)
        firm = self.firms[rng.randrange(len(self.firms))]
        duplicate = rng.random() < cfg.duplicate_share
        excluded = rng.random() < cfg.excluded_share
        request_id = self.request_id(index)
        record: dict[str, Any] = {}
        for label, kind in self.labels:
            if label == "Request ID":
                value: Any = request_id
            elif label == "Request Created Datetime":
                value = _iso_z(created, rng)
            elif label == "Firm Name":
                value = firm
            elif label == "Duplicate Request":
                value = duplicate
            elif label == "Exclude From Reporting":
                value = excluded
            elif label == "Duplicate/Exclusion Comments":
                value = ("Duplicate of an earlier request" if duplicate else
                         "Internal test request" if excluded else "")
            elif rng.random() < cfg.empty_share and kind != "checkbox":
                value = rng.choice(("", None))
            else:
                value = self._value(rng, label, kind, created)
            record[label] = value
        hostile: list[str] = []
        if rng.random() < cfg.hostile_share:
            for label in rng.sample(("Client Names", "Reporting Insured", "Coverage", "Injury Adjuster Name",
                                     "Verify Assignee", "Request Type"), 2):
                record[label] = rng.choice(HOSTILE_STRINGS)
                hostile.append(label)
            if rng.random() < 0.5 and isinstance(record["Claim Set Up Assignee"], dict):
                record["Claim Set Up Assignee"]["name"] = "Zoë \"Z\" O'Hara 🙂"
                hostile.append("Claim Set Up Assignee")
        reason = None
        quarantined = None
        if rng.random() < cfg.malformed_share:
            reason = rng.choice(MALFORMED_KINDS)
            broken = self._break(rng, record, reason)
            if reason in ("bad_request_id", "missing_key"):
                request_id = None  # type: ignore[assignment]
            if broken not in BILLING_LABELS:  # a field that decides no bill: stored as NULL, the request billed
                quarantined, reason = (broken, reason), None
        local = created.astimezone(BUSINESS_TZ)
        truth = RecordTruth(index=index, request_id=request_id, firm=firm, created_utc=created,
                            month=f"{local.year:04d}-{local.month:02d}", duplicate=duplicate, excluded=excluded,
                            reject_reason=reason, hostile_labels=tuple(hostile), quarantined=quarantined)
        return record, truth

    @staticmethod
    def _break(rng: random.Random, record: dict[str, Any], reason: str) -> str:
        """Make one field of ``record`` malformed in the way ``reason`` names; returns its label."""
        if reason == "bad_request_id":
            label, value = "Request ID", rng.choice((f"VP-{record['Request ID']}", record["Request ID"] + 0.5, "12a45"))
        elif reason == "missing_key":
            label, value = "Request ID", rng.choice(("", None))
        elif reason == "bad_currency":
            value = rng.choice(("$25,0O0.00", "N/A", "twenty thousand", "$1.2.3"))  # drawn first, as ever
            label = rng.choice(("BI Per Person Limit", "PD Limit", "UM Per Occurrence Limit"))
        elif reason == "bad_date":
            value = rng.choice(("2026-02-30", "10/31/2026", "2026-13-01", "not a date"))
            label = rng.choice(("Date of Loss", "Claim Set Up Start Date"))
        elif reason == "bad_timestamp":
            value = rng.choice(("2026-10-31 25:99", "yesterday", "2026-10-31T12:00:00"))  # the last has no zone
            label = rng.choice(("Request Created Datetime", "Verify Start Datetime"))
        elif reason == "bad_number":
            value = rng.choice(("three", 2.5, "1e400x"))
            label = rng.choice(("Number of Claimants", "Number of Attempts"))
        elif reason == "bad_type":
            if rng.random() < 0.5:
                label, value = "Duplicate Request", rng.choice(("yes", 1))
            else:
                label, value = "Firm Name", {"name": record["Firm Name"]}
        elif reason == "nul_byte":
            label, value = "Client Names", "Ann\x00Lee"
        elif reason == "too_long":
            label, value = "Duplicate/Exclusion Comments", "x" * (MAX_TEXT_CHARS + 1)
        else:  # pragma: no cover - MALFORMED_KINDS and this function go together
            raise ValueError(reason)
        record[label] = value
        return label

    # ----------------------------------------------------------------------------- answer key
    def _answers(self) -> tuple[dict[tuple[str, str], int], dict[str, int], int]:
        """One pass over the truths (cached): billable counts, rejections by reason, loaded count."""
        if self._answer_cache is None:
            billable: Counter[tuple[str, str]] = Counter()
            rejections: Counter[str] = Counter()
            loaded = 0
            for t in self.truths():
                if t.reject_reason:
                    rejections[t.reject_reason] += 1
                    continue
                loaded += 1
                if t.billable:
                    billable[(t.month, t.firm)] += 1
            self._answer_cache = (dict(sorted(billable.items())), dict(rejections), loaded)
        return self._answer_cache

    def expected_billable(self) -> dict[tuple[str, str], int]:
        """Billable Verify+ requests per (month ``YYYY-MM`` in America/New_York, firm name)."""
        return dict(self._answers()[0])

    def expected_rejections(self) -> dict[str, int]:
        """How many records the load must reject, by reason code."""
        return dict(self._answers()[1])

    def expected_quarantined(self) -> dict[str, int]:
        """How many values the load must store as NULL (the record kept), by reason code."""
        found: Counter[str] = Counter(t.quarantined[1] for t in self.truths() if t.quarantined)
        return dict(found)

    def expected_loaded(self) -> int:
        """How many records the load must accept into raw.verifyplus."""
        return self._answers()[2]


def add_dataset_arguments(parser: argparse.ArgumentParser) -> None:
    """The command-line options that shape the dataset (shared with the simulator's command)."""
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--firms", type=int, default=12)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--start-month", default="2026-08")
    parser.add_argument("--malformed-share", type=float, default=SyntheticConfig.malformed_share)


def dataset_from_arguments(args: argparse.Namespace) -> VerifyPlusDataset:
    return VerifyPlusDataset(SyntheticConfig(
        records=args.records, seed=args.seed, firms=args.firms, months=args.months,
        start_month=args.start_month, malformed_share=args.malformed_share))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Deterministic synthetic Verify+ requests (Quickbase labels)")
    add_dataset_arguments(parser)
    parser.add_argument("--summary", action="store_true", help="print the expected billable counts, not records")
    args = parser.parse_args(argv)
    dataset = dataset_from_arguments(args)
    if args.summary:
        for (month, firm), count in dataset.expected_billable().items():
            print(f"{month}\t{firm}\t{count}")
        print(f"rejections\t{json.dumps(dataset.expected_rejections(), sort_keys=True)}")
        return 0
    for record in dataset.records():
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
