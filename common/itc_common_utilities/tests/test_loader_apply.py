"""Applying a snapshot to the raw tables: the plan (direct COPY or staging, decided once per table),
the upsert of a newer snapshot and the delete of keys it no longer has."""

from __future__ import annotations

from typing import Any

from common_testkit import SPECS, TEMPLATES, UNGUARDED_SHARES, audits, land, rows, templates

from itc_common_utilities.loader import ApplyMode, Force, TableSpec, load_snapshot
from itc_common_utilities.loader.apply import plan_table


def test_newer_snapshot_updates_deletes_and_keeps_lineage(
        db: Any, s3: Any) -> None:
    """GIVEN a loaded snapshot WHEN a newer one is loaded THEN changed rows are updated, missing keys are
    deleted and unchanged rows keep their lineage (the first load's id)."""
    first = load_snapshot(db, s3, land(s3, "r1", {"templates": templates(4), "documents_audit": audits(2)}),
                          SPECS, source="demand")
    newer = templates(3)  # t3 disappears
    newer[1]["templateName"] = "Renamed"
    second = load_snapshot(db, s3, land(s3, "r2", {"templates": newer, "documents_audit": audits(2)}),
                           SPECS, source="demand", guards=UNGUARDED_SHARES)  # 1 of 4 rows deleted

    assert rows(db, "SELECT template_id, template_name, _load_id FROM raw.templates ORDER BY 1") == [
        ("t0", "Standard 0", first.load_id), ("t1", "Renamed", second.load_id), ("t2", "Standard 2", first.load_id)]
    counts = second.tables["templates"]
    assert (counts.written, counts.unchanged, counts.deleted) == (1, 2, 1)


def test_given_an_empty_file_when_loaded_with_force_then_the_table_is_emptied(db: Any, s3: Any) -> None:
    """(Unforced, the empty-table and delete guards refuse it: test_loader_guards.py.)"""
    load_snapshot(db, s3, land(s3, "r1", {"templates": templates(3), "documents_audit": audits(1)}),
                  SPECS, source="demand")
    result = load_snapshot(db, s3, land(s3, "r2", {"templates": [], "documents_audit": audits(1)}),
                           SPECS, source="demand", force=Force("the templates were really all removed", "test"))
    assert result.tables["templates"].deleted == 3
    assert rows(db, "SELECT count(*) FROM raw.templates") == [(0,)]


def test_direct_copy_only_for_empty_table_and_one_row_builder(
        db: Any, s3: Any) -> None:
    """GIVEN an empty raw table, then a loaded one, and a many-rows spec WHEN each table is planned THEN the
    empty table with a one-row builder is COPYed directly and every other case is staged."""
    many = TableSpec("templates", "raw.templates", TEMPLATES.columns, TEMPLATES.key_columns,
                     lambda rec: [TEMPLATES.build(rec)], many=True)
    with db.cursor() as cur:
        empty = plan_table(cur, TEMPLATES, 0)
        empty_many = plan_table(cur, many, 1)
    db.rollback()
    load_snapshot(db, s3, land(s3, "r1", {"templates": templates(2), "documents_audit": audits(1)}),
                  SPECS, source="demand")
    with db.cursor() as cur:
        loaded = plan_table(cur, TEMPLATES, 0)
    db.rollback()

    assert (empty.mode, empty.raw_has_rows) == (ApplyMode.DIRECT, False)
    assert (empty_many.mode, empty_many.raw_has_rows) == (ApplyMode.STAGING, False)
    assert (loaded.mode, loaded.raw_has_rows) == (ApplyMode.STAGING, True)
    assert empty.staged().mode is ApplyMode.STAGING
