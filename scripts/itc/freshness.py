"""What a report shows: the time of its data (as of) and whether a billing month is draft or final.

Read from ``analytics.data_freshness`` (readable by analysts) when the warehouse has it, else from
``ops.latest_loads`` and ``ops.view_refreshes`` (the admin's and the services' view of the same facts).
Every report prints it: the invoice CSV (``data_as_of``, ``invoice_status``), ``itc invoice``, the
dashboard and ``itc status``.

The business time zone (billing months, the last complete day) is the warehouse's own,
``ref.business_time_zone()`` (:func:`business_time_zone`): the command never guesses it from its own
environment, so a report and the views it reads always agree on which month a time falls in.

The data's as-of time is the extraction time of the latest snapshot loaded (what the sources said
then); the views show it once refreshed after that load, which :attr:`Freshness.views_behind` tells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg2.errors
import psycopg2.extensions

from itc_common_utilities.manifest import SOURCES
from itc_common_utilities.timestamps import iso_z

BUSINESS_TZ_QUERY = "SELECT ref.business_time_zone()"


def business_time_zone(cur: psycopg2.extensions.cursor) -> str:
    """The warehouse's business time zone (``ref.settings`` ``business_time_zone``, which the orchestrator's
    migrate writes from ``ITC_BUSINESS_TZ``; ``America/New_York`` when unset), read in the caller's
    transaction. A warehouse without the function (never migrated) is an error naming the fix."""
    cur.execute("SAVEPOINT business_tz")
    try:
        cur.execute(BUSINESS_TZ_QUERY)
    except (psycopg2.errors.UndefinedFunction, psycopg2.errors.InvalidSchemaName):  # never migrated
        cur.execute("ROLLBACK TO SAVEPOINT business_tz")
        from scripts.itc.errors import ItcError

        raise ItcError("this warehouse has no ref.business_time_zone(): run `itc migrate` (or `itc demo`)") from None
    zone = cur.fetchone()[0]
    cur.execute("RELEASE SAVEPOINT business_tz")
    return zone


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    last_load_at: datetime | None       # when its latest succeeded load finished
    extracted_at: datetime | None       # when that load's snapshot was extracted from the source
    complete_through: date | None       # the last business day the snapshot covers whole
    status: str = ""                    # of the latest load attempt: succeeded, failed, refused, never loaded
    failed_loads_since: int = 0


@dataclass(frozen=True)
class RelationFreshness:
    name: str                           # a materialized view of curated or analytics
    status: str                         # refreshed, refreshed (not recorded), never refreshed
    refreshed_at: datetime | None


@dataclass(frozen=True)
class QualityFreshness:
    status: str                         # passed, passed with warnings, failed, never run
    checked_at: datetime | None
    passed: int
    failed: int
    warned: int
    failed_checks: str | None           # check:subject, comma-separated


@dataclass
class Freshness:
    sources: list[SourceFreshness] = field(default_factory=list)
    refreshed_at: datetime | None = None    # the latest successful refresh of the views
    read_from: str = "nothing"              # the relation(s) it was read from
    relations: list[RelationFreshness] = field(default_factory=list)
    quality: QualityFreshness | None = None

    @property
    def data_as_of(self) -> datetime | None:
        """The extraction time of the latest snapshot loaded, of any source (None: nothing loaded)."""
        return max((s.extracted_at for s in self.sources if s.extracted_at), default=None)

    @property
    def views_behind(self) -> bool:
        """Whether a load finished after the latest refresh (the views do not show it yet)."""
        last_load = max((s.last_load_at for s in self.sources if s.last_load_at), default=None)
        return last_load is not None and (self.refreshed_at is None or last_load > self.refreshed_at)

    def as_of_text(self) -> str:
        """``2026-11-01T05:00:00Z`` or ``never loaded``: the stamp every report prints."""
        return iso_z(self.data_as_of) if self.data_as_of else "never loaded"

    def line(self) -> str:
        """One console line (rich markup): each source's snapshot time, the last refresh, and a warning
        when the views lag a load."""
        parts = [f"{s.source} extracted {iso_z(s.extracted_at) if s.extracted_at else 'never'}"
                 + (f" (complete through {s.complete_through.isoformat()})" if s.complete_through else "")
                 for s in self.sources]
        parts.append(f"views refreshed {iso_z(self.refreshed_at) if self.refreshed_at else 'never'}")
        lag = " [yellow](a load finished after the last refresh: the views do not show it yet)[/]"
        return f"data as of {self.as_of_text()}: " + ", ".join(parts) + (lag if self.views_behind else "")


def complete_through(extracted_at: datetime | None, business_tz: str) -> date | None:
    """The last whole business day before the extraction (a snapshot taken at 01:00 on 1 November in
    New York holds 31 October whole)."""
    return extracted_at.astimezone(ZoneInfo(business_tz)).date() - timedelta(days=1) if extracted_at else None


FRESHNESS_COLUMNS = """
SELECT a.attname FROM pg_attribute a
WHERE a.attrelid = to_regclass('analytics.data_freshness') AND a.attnum > 0 AND NOT a.attisdropped
"""
OPS_LOADS = """
SELECT s.source, l.finished_at, l.extracted_at
FROM unnest(%s::text[]) AS s (source) LEFT JOIN ops.latest_loads l ON l.source = s.source ORDER BY 1
"""


def read(conn: psycopg2.extensions.connection, business_tz: str) -> Freshness:
    """The freshness of the warehouse ``conn`` reads (empty when neither source is readable by the login);
    the transaction is then ended."""
    try:
        with conn.cursor() as cur:
            return read_with(cur, business_tz)
    except psycopg2.errors.InsufficientPrivilege:
        return Freshness(read_from="nothing readable by this login")
    finally:
        conn.rollback()


def read_with(cur: psycopg2.extensions.cursor, business_tz: str) -> Freshness:
    """:func:`read` inside the caller's transaction (the dashboard reads everything in one snapshot)."""
    cur.execute(FRESHNESS_COLUMNS)
    if cur.fetchall():
        return _from_data_freshness(cur)
    cur.execute(OPS_LOADS, (list(SOURCES),))
    sources = [SourceFreshness(s, fin, ext, complete_through(ext, business_tz)) for s, fin, ext in cur.fetchall()]
    cur.execute("SELECT max(refreshed_at) FROM ops.view_refreshes")
    return Freshness(sources, cur.fetchone()[0], "ops.latest_loads, ops.view_refreshes")


def _from_data_freshness(cur: psycopg2.extensions.cursor) -> Freshness:
    """Read analytics.data_freshness: a row per source, per materialized view, and the quality run."""
    cur.execute("SELECT * FROM analytics.data_freshness ORDER BY kind, name")
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    fresh = Freshness(read_from="analytics.data_freshness")
    for r in rows:
        if r["kind"] == "source":
            fresh.sources.append(SourceFreshness(r["name"], r["last_load_finished_at"], r["extracted_at"],
                                                 r["complete_through"], r["status"], int(r["failed_loads_since"] or 0)))
        elif r["kind"] == "relation":
            fresh.relations.append(RelationFreshness(r["name"], r["status"], r["last_refreshed_at"]))
        elif r["kind"] == "quality":
            fresh.quality = QualityFreshness(r["status"], r["checked_at"], int(r["checks_passed"] or 0),
                                             int(r["checks_failed"] or 0), int(r["checks_warned"] or 0),
                                             r["failed_checks"])
    fresh.refreshed_at = max((r.refreshed_at for r in fresh.relations if r.refreshed_at), default=None)
    return fresh


def month_status(conn: psycopg2.extensions.connection, month: str) -> str:
    """``final`` when ``month`` is in analytics.closed_months (its invoice is frozen), else ``draft``."""
    with conn.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM analytics.closed_months WHERE billing_month = %s)", (month,))
        closed = cur.fetchone()[0]
    conn.rollback()
    return "final" if closed else "draft"
