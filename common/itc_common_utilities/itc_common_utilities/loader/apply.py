"""From a read file to the raw table: the plan, the apply, the reconciliation.

- :func:`plan_table` makes the one direct-vs-staging decision per table (see
  :class:`~itc_common_utilities.loader.spec.TablePlan`): an empty raw table and a one-row-per-record
  builder → :attr:`~ApplyMode.DIRECT`; otherwise :attr:`~ApplyMode.STAGING`.
- :func:`apply_file` writes a staged file into its raw table (insert into an empty table, or upsert
  by natural key + delete the keys the snapshot lacks), flushes its rejects and reconciles the counts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg2.errors
import psycopg2.extensions
from psycopg2 import sql

from itc_common_utilities.errors import TerminalError
from itc_common_utilities.loader.rejects import RejectSpool
from itc_common_utilities.loader.spec import LINE, ApplyMode, TableCounts, TablePlan, TableSpec, column_list
from itc_common_utilities.manifest import ManifestFile

_LINEAGE = ("_load_id", "_source_key", "_loaded_at")


def plan_table(cur: psycopg2.extensions.cursor, spec: TableSpec, index: int) -> TablePlan:
    """How ``spec``'s file is written in this load: decided here, once, from the raw table's state."""
    cur.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {raw})").format(raw=spec.raw))
    raw_has_rows = bool(cur.fetchone()[0])
    mode = ApplyMode.STAGING if spec.many or raw_has_rows else ApplyMode.DIRECT
    return TablePlan(mode, raw_has_rows, sql.Identifier(f"_stg_{index}_{spec.snapshot_table}"[:63]))


def create_staging(cur: psycopg2.extensions.cursor, spec: TableSpec, plan: TablePlan) -> None:
    """The TEMP staging table of a ``STAGING`` plan: the line number, then the spec's columns."""
    cur.execute(sql.SQL(
        "CREATE TEMP TABLE {stg} ON COMMIT DROP AS SELECT 0::bigint AS {line}, {cols} FROM {raw} WITH NO DATA"
    ).format(stg=plan.staging, line=sql.Identifier(LINE), cols=column_list(spec.columns), raw=spec.raw))


@dataclass(frozen=True)
class StagedFile:
    """One file read and checked against the manifest, waiting to be applied."""

    spec: TableSpec
    expected: ManifestFile
    plan: TablePlan
    rejects: RejectSpool
    read_ms: int


def apply_file(cur: psycopg2.extensions.cursor, staged: StagedFile, load_id: int) -> TableCounts:
    """Apply one staged file, flush its rejects, reconcile; the table's counts."""
    t0 = time.perf_counter()
    spec, plan = staged.spec, staged.plan
    rows = written = deleted = rows_before = 0
    if plan.raw_has_rows:  # what the delete guard measures against (a non-empty raw table is always staged)
        rows_before = _count(cur, sql.SQL("SELECT count(*) FROM {raw}").format(raw=spec.raw))
    if plan.mode is ApplyMode.STAGING:
        rows, written, deleted = _apply_staging(cur, spec, plan, load_id=load_id, source_key=staged.expected.key,
                                                rejects=staged.rejects)
    staged.rejects.flush(cur)
    loaded, rejected = _reconcile(cur, spec, plan, load_id, staged.expected)
    if plan.mode is ApplyMode.DIRECT:  # written straight into the empty raw table: one row per loaded record
        rows = written = loaded
    return TableCounts(records=staged.expected.records, loaded=loaded, rejected=rejected,
                       quarantined=staged.rejects.quarantined, rows=rows,
                       written=written, unchanged=rows - written, deleted=deleted, rows_before=rows_before,
                       read_ms=staged.read_ms, apply_ms=int((time.perf_counter() - t0) * 1000))


def _apply_staging(cur: psycopg2.extensions.cursor, spec: TableSpec, plan: TablePlan, *, load_id: int,
                   source_key: str, rejects: RejectSpool) -> tuple[int, int, int]:
    """Apply staging with duplicate keys rejected first: (rows, written, deleted).

    Into an empty raw table the plain INSERT is tried under a savepoint and duplicates are looked
    for only if the primary key complains: the common, clean case skips a grouping pass over the
    whole staging table. Into a non-empty table the upsert could hide a duplicate (``ON CONFLICT …
    WHERE`` may skip one of two rows), so duplicates are looked for first.
    """
    if plan.raw_has_rows:
        _reject_duplicates(cur, spec, plan.staging, rejects)
        return _upsert_and_delete(cur, spec, plan.staging, load_id, source_key)
    cur.execute("SAVEPOINT itc_apply")
    try:
        result = _insert_all(cur, spec, plan.staging, load_id, source_key)
    except psycopg2.errors.UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT itc_apply")
        if not _reject_duplicates(cur, spec, plan.staging, rejects):
            raise
        result = _insert_all(cur, spec, plan.staging, load_id, source_key)
    cur.execute("RELEASE SAVEPOINT itc_apply")
    return result


def _count(cur: psycopg2.extensions.cursor, query: sql.Composable, params: tuple[object, ...] = ()) -> int:
    cur.execute(query, params)
    return int(cur.fetchone()[0])


def _lineage(load_id: int, source_key: str) -> sql.Composable:
    return sql.SQL("{load_id}, {source_key}, clock_timestamp()").format(
        load_id=sql.Literal(load_id), source_key=sql.Literal(source_key))


def _insert_all(cur: psycopg2.extensions.cursor, spec: TableSpec, staging: sql.Identifier, load_id: int,
                source_key: str) -> tuple[int, int, int]:
    """Into an empty raw table: insert every staged row (rows, written, 0)."""
    rows = _count(cur, sql.SQL("SELECT count(*) FROM {stg}").format(stg=staging))
    cur.execute(sql.SQL("INSERT INTO {raw} ({cols}) SELECT {src}, {lineage} FROM {stg}").format(
        raw=spec.raw, cols=column_list((*spec.columns, *_LINEAGE)), src=column_list(spec.columns),
        lineage=_lineage(load_id, source_key), stg=staging))
    return rows, cur.rowcount, 0


def _upsert_and_delete(cur: psycopg2.extensions.cursor, spec: TableSpec, staging: sql.Identifier, load_id: int,
                       source_key: str) -> tuple[int, int, int]:
    """Upsert staging into the raw table and delete keys the snapshot lacks: (rows, written, deleted).

    Rows that did not change are not rewritten (they keep their lineage).
    """
    rows = _count(cur, sql.SQL("SELECT count(*) FROM {stg}").format(stg=staging))
    non_key = [c for c in spec.columns if c not in spec.key_columns]
    if non_key:
        update = sql.SQL(
            "DO UPDATE SET {sets}, _load_id = EXCLUDED._load_id, _source_key = EXCLUDED._source_key, "
            "_loaded_at = EXCLUDED._loaded_at WHERE ({old}) IS DISTINCT FROM ({new})"
        ).format(
            sets=sql.SQL(", ").join(sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in non_key),
            old=column_list(non_key, "t"),
            new=sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in non_key),
        )
    else:
        update = sql.SQL("DO NOTHING")
    cur.execute(sql.SQL(
        "INSERT INTO {raw} AS t ({cols}) SELECT {src}, {lineage} FROM {stg} ON CONFLICT ({keys}) {update}"
    ).format(raw=spec.raw, cols=column_list((*spec.columns, *_LINEAGE)), src=column_list(spec.columns),
             lineage=_lineage(load_id, source_key), stg=staging, keys=column_list(spec.key_columns), update=update))
    written = cur.rowcount
    cur.execute(sql.SQL(
        "DELETE FROM {raw} t WHERE NOT EXISTS (SELECT 1 FROM {stg} s WHERE {match})"
    ).format(raw=spec.raw, stg=staging, match=sql.SQL(" AND ").join(
        sql.SQL("s.{c} = t.{c}").format(c=sql.Identifier(c)) for c in spec.key_columns)))
    return rows, written, cur.rowcount


def _records_counted(spec: TableSpec) -> sql.Composable:
    """How staging rows count as records: one row per record, or distinct lines for ``many`` specs."""
    return sql.SQL("count(DISTINCT {})").format(sql.Identifier(LINE)) if spec.many else sql.SQL("count(*)")


def _reject_duplicates(cur: psycopg2.extensions.cursor, spec: TableSpec, staging: sql.Identifier,
                       rejects: RejectSpool) -> int:
    """Move every record holding a natural key an earlier line already holds to the rejects."""
    keys = column_list(spec.key_columns)
    cur.execute(sql.SQL(
        "SELECT EXISTS (SELECT 1 FROM {stg} GROUP BY {keys} HAVING {count} > 1)"
    ).format(stg=staging, keys=keys, count=_records_counted(spec)))
    if not cur.fetchone()[0]:
        return 0
    key_text = sql.SQL(" || '/' || ").join(
        sql.SQL("coalesce({}::text, '')").format(sql.Identifier(c)) for c in spec.key_columns)
    cur.execute(sql.SQL("""
        WITH ranked AS (
            SELECT {line}, {key_text} AS key_text,
                   min({line}) OVER (PARTITION BY {keys}) AS first_line
              FROM {stg}),
        dup AS (SELECT {line}, min(key_text) AS key_text, min(first_line) AS first_line
                  FROM ranked WHERE {line} <> first_line GROUP BY {line}),
        gone AS (DELETE FROM {stg} s USING dup WHERE s.{line} = dup.{line} RETURNING s.{line})
        SELECT DISTINCT dup.{line}, dup.key_text, dup.first_line FROM dup JOIN gone USING ({line})
         ORDER BY 1
    """).format(line=sql.Identifier(LINE), key_text=key_text, keys=keys, stg=staging))
    duplicates = cur.fetchall()
    for line_number, key_text_value, first_line in duplicates:
        rejects.add(line_number, "duplicate_key", field_name=",".join(spec.key_columns), value=key_text_value,
                    detail=f"the natural key is already held by line {first_line} of this file",
                    record_key=key_text_value)
    return len(duplicates)


def _reconcile(cur: psycopg2.extensions.cursor, spec: TableSpec, plan: TablePlan, load_id: int,
               expected: ManifestFile) -> tuple[int, int]:
    """Count loaded records (raw or staging) and rejected ones (ops) in the database; they must add up."""
    if plan.mode is ApplyMode.DIRECT:
        loaded = _count(cur, sql.SQL("SELECT count(*) FROM {raw} WHERE _load_id = %s").format(raw=spec.raw),
                        (load_id,))
    else:
        loaded = _count(cur, sql.SQL("SELECT {counted} FROM {stg}").format(counted=_records_counted(spec),
                                                                             stg=plan.staging))
    rejected = _count(cur, sql.SQL("SELECT count(DISTINCT line_number) FROM ops.rejected_records "
                                   "WHERE load_id = %s AND table_name = %s"), (load_id, spec.snapshot_table))
    if loaded + rejected != expected.records:
        raise TerminalError(
            f"{expected.key} ({spec.snapshot_table}): reconciliation failed: manifest says {expected.records} "
            f"records, loaded {loaded} + rejected {rejected} = {loaded + rejected}")
    return loaded, rejected
