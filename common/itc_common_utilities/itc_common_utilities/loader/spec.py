"""What a pipeline hands the load engine, what it gets back, and how each table is loaded.

- :class:`TableSpec`: one snapshot table (one file of the manifest) → one raw table: its columns,
  natural key and builder. :class:`RecordRejected` is what a builder raises for one bad record.
- :class:`TableCounts` / :class:`LoadResult`: the counts of one load, per table and in total.
- :class:`ApplyMode` / :class:`TablePlan`: how one table is written, decided once per table by the
  engine (:func:`~itc_common_utilities.loader.apply.plan_table`) and passed down to read and apply.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from psycopg2 import sql

LINE = "_line"  # the staging table's line-number column


class RecordRejected(Exception):
    """Raised by a builder for one bad record; the loader quarantines it and goes on."""

    def __init__(self, reason_code: str, field: str | None = None, value: object = None, detail: str = "",
                 record_key: str | None = None) -> None:
        self.reason_code = reason_code
        self.field = field
        self.value = value
        self.detail = detail
        self.record_key = record_key
        where = f" ({field})" if field else ""
        super().__init__(f"{reason_code}{where}: {detail}" if detail else f"{reason_code}{where}")


def _no_key(_record: Any) -> str | None:
    return None


@dataclass(frozen=True)
class TableSpec:
    """How one snapshot table (one file of the manifest) lands in one raw table."""

    snapshot_table: str
    raw_table: str
    columns: tuple[str, ...]
    key_columns: tuple[str, ...]
    build: Callable[[Any], Sequence[Any] | Iterable[Sequence[Any]]]
    record_key: Callable[[Any], str | None] = _no_key
    many: bool = False  # True: build returns an iterable of rows instead of one row
    # the fast path (loader/fastrow.py): line bytes -> the COPY row build would give, or None = use build
    fast: Callable[[bytes], str | None] | None = None

    def __post_init__(self) -> None:
        if "." not in self.raw_table:
            raise ValueError(f"raw_table {self.raw_table!r} must be schema-qualified (e.g. raw.cases)")
        missing = [c for c in self.key_columns if c not in self.columns]
        if not self.key_columns or missing:
            raise ValueError(f"{self.snapshot_table}: key columns {missing or '()'} are not among the columns")
        if len(set(self.columns)) != len(self.columns):
            raise ValueError(f"{self.snapshot_table}: a column is listed twice")

    @property
    def key_indexes(self) -> tuple[int, ...]:
        """The positions of the natural key's columns in a built row."""
        return tuple(self.columns.index(c) for c in self.key_columns)

    @property
    def raw(self) -> sql.Identifier:
        """The raw table as a schema-qualified SQL identifier."""
        from psycopg2 import sql  # at use: the builders import this module, the demand extract imports them

        return sql.Identifier(*self.raw_table.split("."))


def column_list(names: Iterable[str], prefix: str | None = None) -> sql.Composable:
    """``"a", "b"`` (or ``"t"."a", "t"."b"`` with a prefix) for SQL built with :mod:`psycopg2.sql`."""
    from psycopg2 import sql

    if prefix is None:
        return sql.SQL(", ").join(map(sql.Identifier, names))
    return sql.SQL(", ").join(sql.Identifier(prefix, n) for n in names)


class ApplyMode(enum.Enum):
    """Where a table's COPY goes, and so how it reaches the raw table."""

    DIRECT = "direct"    # COPY straight into the EMPTY raw table, lineage columns included: written once
    STAGING = "staging"  # COPY into a TEMP staging table, then insert (empty raw) or upsert + delete


@dataclass(frozen=True)
class TablePlan:
    """How one table of one load is written: decided once per table, then passed down.

    ``raw_has_rows`` is the raw table's state when the load began (the load holds its source's
    lock, and each spec owns its raw table, so it stays true until this table is applied).
    ``staging`` names the TEMP staging table; it exists only in ``STAGING`` mode.
    """

    mode: ApplyMode
    raw_has_rows: bool
    staging: sql.Identifier

    def staged(self) -> TablePlan:
        """The same table staged instead: the fallback when the direct COPY met a duplicate key."""
        return replace(self, mode=ApplyMode.STAGING)


@dataclass(frozen=True)
class TableCounts:
    records: int = 0       # lines in the file (= the manifest's count)
    loaded: int = 0        # records whose rows reached the raw table
    quarantined: int = 0   # values of loaded records stored as NULL (ops.quarantined_fields)
    rejected: int = 0      # records quarantined in ops.rejected_records
    rows: int = 0          # raw rows the loaded records gave (= loaded for one-row builders)
    written: int = 0       # raw rows inserted or changed
    unchanged: int = 0     # raw rows already identical
    deleted: int = 0       # raw rows deleted because the snapshot no longer has their key
    rows_before: int = 0   # raw rows before this load (what the delete guard measures deletes against)
    read_ms: int = 0
    apply_ms: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _total(name: str) -> Any:
    """A read-only property: the sum of one :class:`TableCounts` field over every table."""
    return property(lambda self: sum(getattr(t, name) for t in self.tables.values()),
                    doc=f"{name} summed over every table")


@dataclass(frozen=True)
class LoadResult:
    status: str                      # "loaded" | "skipped"
    source: str
    run_id: str
    manifest_key: str
    manifest_sha256: str
    load_id: int | None              # the new load, or the earlier one that made this a no-op
    tables: dict[str, TableCounts] = field(default_factory=dict)
    duration_ms: int = 0

    records = _total("records")
    loaded = _total("loaded")
    rejected = _total("rejected")
    quarantined = _total("quarantined")
    deleted = _total("deleted")

    def to_dict(self) -> dict[str, Any]:
        """A small JSON-able summary (keys, counts, timings; no record values)."""
        return {
            "status": self.status, "source": self.source, "run_id": self.run_id,
            "manifest_key": self.manifest_key, "manifest_sha256": self.manifest_sha256,
            "load_id": self.load_id, "records": self.records, "loaded": self.loaded,
            "rejected": self.rejected, "quarantined": self.quarantined, "deleted": self.deleted,
            "duration_ms": self.duration_ms,
            "tables": {name: counts.to_dict() for name, counts in self.tables.items()},
        }
