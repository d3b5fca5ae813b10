"""The load guards (loader/guards.py) at real PostgreSQL: each refuses with the message a user sees and
changes nothing; each setting moves its threshold; force (who, why) passes, is recorded and reloads a
manifest loaded already; the wait for the source's lock ends in a TransientError; a bad force is a bad
event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg2
import pytest
from common_testkit import EXTRACTED_AT, SPECS, audits, land, rows, table_digest, templates

from itc_common_utilities.errors import TransientError
from itc_common_utilities.handler import BadEventError, parse_event
from itc_common_utilities.loader import Force, LoadRefusedError, LoadResult, load_snapshot
from itc_common_utilities.loader.approval import ForceRequest
from itc_common_utilities.settings import LoadGuardSettings, SettingsError, load_settings

FORCE = Force(reason="restoring the last good snapshot after a bad load", by="ops@example.com")


def _state(conn: Any) -> list[Any]:
    """What a refused load must leave as it was: the raw rows, the rejects, the succeeded loads."""
    state = [table_digest(conn, "raw.templates", "template_id"), table_digest(conn, "raw.audit", "audit_record_id"),
             rows(conn, "SELECT count(*) FROM ops.rejected_records"),
             rows(conn, "SELECT load_id FROM ops.load_runs WHERE status = 'succeeded' ORDER BY 1")]
    conn.rollback()
    return state


def _last_failure(conn: Any) -> list[Any]:
    return rows(conn, "SELECT status, error, forced_by FROM ops.load_runs ORDER BY load_id DESC LIMIT 1")


def _load(db: Any, s3: Any, run_id: str, template_records: list[Any], **kwargs: Any) -> LoadResult:
    """Land and load a demand snapshot of ``template_records`` (and two audits)."""
    return load_snapshot(db, s3, land(s3, run_id, {"templates": template_records, "documents_audit": audits(2)}),
                         SPECS, source="demand", **kwargs)


def _templates_with_bad(n: int, bad: int) -> list[Any]:
    recs: list[Any] = templates(n - bad)
    recs += [{"templateId": f"bad{i}", "version": "seven"} for i in range(bad)]
    return recs


# ------------------------------------------------------------------------------------------- deletes

def test_big_delete_is_refused_and_changes_nothing(db: Any, s3: Any) -> None:
    """GIVEN a snapshot deleting over 5 percent of a table
    WHEN loaded
    THEN it is refused and nothing changes."""
    _load(db, s3, "r1", templates(40))
    before = _state(db)

    with pytest.raises(LoadRefusedError) as refused:
        _load(db, s3, "r2", templates(37))

    message = ("demand: refusing to delete 3 of 40 rows (7.5%) of raw.templates; the limit is "
               "ITC_MAX_DELETE_SHARE=0.05. If this snapshot is right, load it with force and an approval "
               "(itc approve-force).")
    assert str(refused.value) == message
    assert _state(db) == before
    assert _last_failure(db) == [("refused", f"LoadRefusedError: {message}", None)]


def test_delete_share_setting_moves_the_threshold(db: Any, s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN the delete share setting
    WHEN a snapshot deletes under or over it
    THEN it moves the threshold."""
    _load(db, s3, "r1", templates(40))
    # 2 of 40 = 5.0%: not over the default limit
    assert _load(db, s3, "r2", templates(38)).tables["templates"].deleted == 2
    monkeypatch.setenv("ITC_MAX_DELETE_SHARE", "0.1")  # 3 of 38 = 7.9%: over the default, under this one
    assert _load(db, s3, "r3", templates(35)).tables["templates"].deleted == 3
    with pytest.raises(LoadRefusedError, match=r"refusing to delete 1 of 35 rows \(2\.9%\) of raw\.templates; the "
                                               r"limit is ITC_MAX_DELETE_SHARE=0\.01\."):
        _load(db, s3, "r4", templates(34), guards=LoadGuardSettings(max_delete_share=0.01))  # the argument wins


# ------------------------------------------------------------------------------------------- rejects

def test_many_rejects_are_refused_with_reasons(db: Any, s3: Any) -> None:
    """GIVEN a snapshot with over 1 percent rejects
    WHEN loaded
    THEN it is refused with reasons and nothing changes."""
    _load(db, s3, "r1", templates(100))
    before = _state(db)

    with pytest.raises(LoadRefusedError) as refused:
        _load(db, s3, "r2", _templates_with_bad(100, 2))

    assert str(refused.value) == (
        "demand: refusing to load templates: 2 of 100 records rejected (2.0%; bad_type 2) for raw.templates; the "
        "limit is ITC_MAX_REJECT_SHARE=0.01. If this snapshot is right, load it with force and an approval "
        "(itc approve-force).")
    assert _state(db) == before  # the refused load's rejects went with it


def test_reject_share_setting_moves_the_threshold(db: Any, s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN the reject share setting
    WHEN a snapshot rejects under or over it
    THEN it moves the threshold."""
    # 1 of 100 = 1.0%: not over the default limit
    assert _load(db, s3, "r1", _templates_with_bad(100, 1)).tables["templates"].rejected == 1
    monkeypatch.setenv("ITC_MAX_REJECT_SHARE", "0.05")  # 4 of 100: over the default, under this one
    assert _load(db, s3, "r2", _templates_with_bad(100, 4)).tables["templates"].rejected == 4
    monkeypatch.setenv("ITC_MAX_REJECT_SHARE", "0")
    with pytest.raises(LoadRefusedError, match=r"1 of 100 records rejected \(1\.0%; bad_type 1\) for "
                                               r"raw\.templates; the limit is ITC_MAX_REJECT_SHARE=0\."):
        _load(db, s3, "r3", _templates_with_bad(100, 1))


# --------------------------------------------------------------------------------------------- empty

def test_empty_demand_table_is_refused_even_when_new(db: Any, s3: Any) -> None:
    """GIVEN a demand snapshot with an empty table
    WHEN loaded
    THEN it is refused even into an empty warehouse."""
    with pytest.raises(LoadRefusedError) as refused:
        _load(db, s3, "r1", [])

    assert str(refused.value) == (
        "demand: refusing to load an empty templates table (0 records for raw.templates, which has 0 rows): a "
        "demand snapshot never has an empty table (a failed scan or a recreated table). If this snapshot is "
        "right, load it with force and an approval (itc approve-force).")
    assert rows(db, "SELECT count(*) FROM raw.audit") == [(0,)]
    assert rows(db, "SELECT status FROM ops.load_runs") == [("refused",)]


def test_empty_verifyplus_into_empty_warehouse_loads(db: Any, s3: Any) -> None:
    """GIVEN a Verify+ snapshot with an empty table and an empty warehouse
    WHEN it is loaded
    THEN it loads.
    (Verify+ refuses an empty report at extract unless ITC_QB_ALLOW_EMPTY; over loaded rows the delete
    guard refuses it.)"""
    ref = land(s3, "r1", {"templates": [], "documents_audit": audits(2)}, source="verifyplus")
    assert load_snapshot(db, s3, ref, SPECS, source="verifyplus").status == "loaded"


# ------------------------------------------------------------------------------------------ ordering

def test_older_snapshot_is_refused_before_reading(db: Any, s3: Any) -> None:
    """GIVEN a snapshot not newer than the last load
    WHEN loaded
    THEN it is refused before reading it."""
    newer = land(s3, "r2", {"templates": templates(3), "documents_audit": audits(2)},
                 extracted_at=EXTRACTED_AT + timedelta(days=2))
    first = load_snapshot(db, s3, newer, SPECS, source="demand")
    before = _state(db)

    with pytest.raises(LoadRefusedError) as refused:
        load_snapshot(db, s3, land(s3, "r1", {"templates": templates(3), "documents_audit": audits(2)},
                                   extracted_at=EXTRACTED_AT + timedelta(days=1)), SPECS, source="demand")
    with pytest.raises(LoadRefusedError, match="refusing to load snapshot r2b .* is not newer than"):
        load_snapshot(db, s3, land(s3, "r2b", {"templates": templates(3), "documents_audit": audits(2)},
                                   extracted_at=EXTRACTED_AT + timedelta(days=2)), SPECS, source="demand")

    assert str(refused.value) == (
        "demand: refusing to load snapshot r1 (extracted at 2026-11-02T00:00:00+00:00): it is not newer than the "
        f"last loaded snapshot r2 (load {first.load_id}, extracted at 2026-11-03T00:00:00+00:00); loading it would "
        "rewind the warehouse. To restore an older snapshot on purpose, load it with force and an approval "
        "(itc approve-force).")
    assert _state(db) == before


# --------------------------------------------------------------------------------------------- force

def test_forced_load_records_who_and_why(db: Any, s3: Any) -> None:
    """GIVEN a force with a reason
    WHEN a guarded snapshot is loaded
    THEN it loads and who and why are recorded."""
    _load(db, s3, "r1", templates(10))

    result = load_snapshot(db, s3, land(s3, "r2", {"templates": templates(2), "documents_audit": audits(2)}), SPECS,
                           source="demand", force=FORCE)

    assert (result.status, result.tables["templates"].deleted) == ("loaded", 8)
    assert rows(db, "SELECT run_id, status, forced_by, force_reason FROM ops.load_runs ORDER BY load_id") == [
        ("r1", "succeeded", None, None),
        ("r2", "succeeded", "ops@example.com", "restoring the last good snapshot after a bad load")]


def test_forced_replay_of_good_manifest_reloads_it(db: Any, s3: Any) -> None:
    """GIVEN a bad snapshot forced in
    WHEN the good manifest is replayed with force
    THEN it is reloaded."""
    good = land(s3, "good", {"templates": templates(10), "documents_audit": audits(3)})
    load_snapshot(db, s3, good, SPECS, source="demand")
    contents = ("SELECT template_id, version, template_name, default_demand_config FROM raw.templates ORDER BY 1",
                "SELECT audit_record_id, document_id, archive_comments FROM raw.audit ORDER BY 1")
    good_rows = [rows(db, query) for query in contents]
    load_snapshot(db, s3, land(s3, "bad", {"templates": templates(4), "documents_audit": audits(1)}), SPECS,
                  source="demand", force=Force("the new scan looked right at the time", "ops"))

    assert load_snapshot(db, s3, good, SPECS, source="demand").status == "skipped"  # unforced: a no-op
    restored = load_snapshot(db, s3, good, SPECS, source="demand", force=FORCE)

    assert restored.status == "loaded"
    assert [rows(db, query) for query in contents] == good_rows
    assert (restored.tables["templates"].written, restored.tables["templates"].unchanged) == (6, 4)
    assert rows(db, "SELECT run_id, forced_by FROM ops.load_runs WHERE status = 'succeeded' ORDER BY load_id") == [
        ("good", None), ("bad", "ops"), ("good", "ops@example.com")]
    assert rows(db, "SELECT run_id FROM ops.latest_loads") == [("good",)]


# ------------------------------------------------------------------------------------------ the lock

def test_lock_wait_timeout_is_transient_and_recorded(
        db: Any, db_dsn: str, s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN another load holding the source lock
    WHEN the wait runs out
    THEN a transient error and a failed row."""
    holder = psycopg2.connect(db_dsn)
    try:
        with holder.cursor() as cur:  # what a running demand load holds
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('itc'), hashtext('load:demand'))")
        monkeypatch.setenv("ITC_LOCK_WAIT_SECONDS", "1")
        with pytest.raises(TransientError) as waited:
            load_snapshot(db, s3, land(s3, "r1", {"templates": templates(3), "documents_audit": audits(1)}), SPECS,
                          source="demand")
    finally:
        holder.close()

    assert type(waited.value) is TransientError  # the class name Step Functions' Retry matches
    assert str(waited.value) == (
        "demand: waited 1 s for the load lock of source demand (another demand load holds it) and gave up; the "
        "limit is ITC_LOCK_WAIT_SECONDS=1. A retry waits again.")
    assert rows(db, "SELECT status, error FROM ops.load_runs") == [("failed", f"TransientError: {waited.value}")]
    assert rows(db, "SELECT count(*) FROM raw.templates") == [(0,)]
    # the lock is free again: the retry loads
    assert load_snapshot(db, s3, land(s3, "r2", {"templates": templates(3), "documents_audit": audits(1)}), SPECS,
                         source="demand").status == "loaded"


# ---------------------------------------------------------------------------------- settings, events

@pytest.mark.parametrize(("environ", "message"), [
    ({"ITC_MAX_DELETE_SHARE": "1.5"}, "ITC_MAX_DELETE_SHARE='1.5' is not valid: expected a share between 0 and 1"),
    ({"ITC_MAX_REJECT_SHARE": "lots"}, "ITC_MAX_REJECT_SHARE='lots' is not valid: could not convert string to "
                                       "float: 'lots'"),
    ({"ITC_LOCK_WAIT_SECONDS": "0"}, "ITC_LOCK_WAIT_SECONDS='0' is not valid: expected a positive number"),
    ({"ITC_LOCK_WAIT_SECONDS": "900"}, "ITC_LOCK_WAIT_SECONDS=900.0 is not valid: at most 600 (the wait must end "
                                       "well inside the 900 s Lambda timeout)"),
])
def test_given_a_bad_guard_setting_when_loaded_then_the_error_names_the_variable(environ: dict[str, str],
                                                                                 message: str) -> None:
    with pytest.raises(SettingsError) as bad:
        load_settings(LoadGuardSettings, environ=environ)
    assert str(bad.value) == message


def test_given_no_guard_settings_then_the_defaults_and_an_argument_is_checked_too() -> None:
    assert load_settings(LoadGuardSettings, environ={}) == LoadGuardSettings(0.05, 0.01, 60.0)
    with pytest.raises(SettingsError, match=r"^ITC_MAX_REJECT_SHARE=-0\.1 is not valid: expected a share"):
        load_settings(LoadGuardSettings, {"max_reject_share": -0.1}, environ={})


_LOAD = {"mode": "load", "bucket": "landing", "key": "demand/run=r1/_manifest.json"}


@pytest.mark.parametrize(("force", "problem"), [
    ({"reason": "restore", "by": "ops"}, "'force' takes only an 'approval' made by `itc approve-force` (who forces "
                                         "and why come from it); refusing key(s) by, reason"),
    ({}, "'force' needs an 'approval' (a JSON object made by `itc approve-force`)"),
    ({"approval": "signed"}, "'force' needs an 'approval' (a JSON object made by `itc approve-force`)"),
    ("yes", "'force' must be a JSON object {'approval': {...}} (got str)"),
    ({"approval": {}, "by": "ops"}, "'force' takes only an 'approval' made by `itc approve-force` (who forces "
                                    "and why come from it); refusing key(s) by"),
])
def test_given_a_force_without_an_approval_when_the_event_is_read_then_bad_event(force: Any, problem: str) -> None:
    """GIVEN a load event whose force names who and why itself, or carries no approval object WHEN read
    THEN BadEventError says the force needs an approval (who and why come from it)."""
    with pytest.raises(BadEventError) as bad:
        parse_event({**_LOAD, "force": force}, service="demand_pipeline", modes=["extract", "load"], settings=[],
                    object_mode="load")
    assert str(bad.value) == f"demand_pipeline: bad event: {problem}"


def test_force_on_extract_or_two_manifests_is_bad_event() -> None:
    """GIVEN force on an extract or on two manifests
    WHEN the event is read
    THEN it is a bad event."""
    force = {"approval": {"approver": "ops"}}
    with pytest.raises(BadEventError, match=r"'force' applies to a load of one manifest, not to mode 'extract'"):
        parse_event({"mode": "extract", "force": force}, service="demand_pipeline", modes=["extract", "load"],
                    settings=[], object_mode="load")
    two = {"Records": [{"s3": {"bucket": {"name": "landing"}, "object": {"key": f"demand/run=r{i}/_manifest.json"}}}
                       for i in range(2)], "force": force}
    with pytest.raises(BadEventError, match=r"'force' applies to one manifest; the event names 2 objects"):
        parse_event(two, service="demand_pipeline", modes=["extract", "load"], settings=[], object_mode="load")


def test_force_approval_is_carried_unverified() -> None:
    """GIVEN a load event with ``force: {"approval": {...}}`` WHEN read THEN the invocation carries the approval
    as given (the load verifies it); an event without force has none."""
    approval = {"approver": "ops", "reason": "restore r1"}
    invocation = parse_event({**_LOAD, "force": {"approval": approval}}, service="demand_pipeline",
                             modes=["extract", "load"], settings=[], object_mode="load")
    assert invocation.force == ForceRequest(approval)
    assert parse_event(_LOAD, service="demand_pipeline", modes=["load"], settings=[], object_mode="load").force is None
