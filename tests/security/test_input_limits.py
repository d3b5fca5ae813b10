"""Input limits (docs/design.md §6): each hostile input is refused with an error naming its limit, and
nothing changes. Real loads (demand_pipeline.load.load with moto S3 and real PostgreSQL), the real
Verify+ extract against the Quickbase simulator over real HTTP, the real database connect.

- a snapshot line longer than ``ITC_MAX_LINE_BYTES``;
- a gzip bomb: a file decompressing past ``ITC_MAX_DECOMPRESSION_RATIO`` x its compressed size;
- a ``_manifest.json`` larger than ``ITC_MAX_MANIFEST_BYTES``;
- a Quickbase answer larger than ``ITC_QB_MAX_RESPONSE_BYTES``, streamed without Content-Length;
- a database that accepts the TCP connection and never answers (``ITC_DB_CONNECT_TIMEOUT_S``).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import psycopg2
import pytest

from demand_pipeline.load import load as load_demand
from itc_common_utilities.db import connect
from itc_common_utilities.errors import TerminalError, TransientError
from itc_common_utilities.limits import DECOMPRESSED_FLOOR_BYTES
from itc_common_utilities.manifest import ManifestError
from itc_common_utilities.s3 import ObjectRef, SnapshotFileError, write_snapshot
from scripts.stack.quickbase_simulator import DEFAULT_TOKEN, QuickbaseSimulator
from scripts.synthetic.verifyplus import SyntheticConfig, VerifyPlusDataset
from verifyplus_pipeline.extract import extract_report
from verifyplus_pipeline.quickbase import QuickbaseReport, build_quickbase_session, resolve_token
from verifyplus_pipeline.settings import ExtractSettings

BUCKET = "itc-limits-landing"
TEMPLATE = {"templateId": "t1", "version": 1, "templateName": "Standard", "defaultDemandConfig": {}}


@pytest.fixture
def s3(moto_s3: Callable[[str], Any]) -> Any:
    return moto_s3(BUCKET)


def demand_tables(templates: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """A demand snapshot: one document, its metadata and audit record, and ``templates``."""
    return {"documents": [{"documentId": "d1", "version": 1, "createdTs": 1761967800000}],
            "documents_metadata": [{"documentId": "d1", "documentType": "DEMAND", "createdTs": 1761967800000}],
            "templates": templates,
            "documents_audit": [{"auditRecordId": "a1", "documentId": "d1", "createdTs": 1762000000000,
                                 "actionType": "DemandArchived"}]}


def warehouse_state(conn: Any) -> tuple[Any, ...]:
    with conn.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM raw.templates), (SELECT count(*) FROM ops.rejected_records), "
                    "(SELECT count(*) FROM ops.load_runs WHERE status = 'succeeded'), "
                    "(SELECT string_agg(template_name, ',' ORDER BY template_id) FROM raw.templates)")
        state = cur.fetchone()
    conn.rollback()
    return state


@pytest.fixture
def loaded_once(s3: Any, db: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    """A warehouse holding one good demand load; the state a refused hostile snapshot must leave alone."""
    monkeypatch.setenv("ITC_MAX_DELETE_SHARE", "1")
    assert load_demand(db, s3, write_snapshot(s3, BUCKET, "demand", "good", demand_tables([TEMPLATE]))).status \
        == "loaded"
    return warehouse_state(db)


def test_line_over_the_limit_is_refused(
        s3, db, loaded_once, monkeypatch):
    """GIVEN ITC_MAX_LINE_BYTES=1 MiB and a snapshot whose second template line is 3 MB (valid JSON)
    WHEN the demand load runs THEN it fails with a SnapshotFileError naming the file, the line and the
    limit, and the warehouse is as it was (no row written, changed or rejected)."""
    monkeypatch.setenv("ITC_MAX_LINE_BYTES", str(1 << 20))
    huge = {**TEMPLATE, "templateId": "t2", "templateName": "x" * 3_000_000}
    ref = write_snapshot(s3, BUCKET, "demand", "long-line", demand_tables([{**TEMPLATE, "templateName": "new"},
                                                                            huge]))

    with pytest.raises(SnapshotFileError) as info:
        load_demand(db, s3, ref)

    assert "templates.jsonl.gz: line 2 is longer than ITC_MAX_LINE_BYTES=1048576 bytes" in str(info.value)
    assert warehouse_state(db) == loaded_once


def test_gzip_bomb_is_refused_while_streaming(
        s3, db, loaded_once, monkeypatch):
    """GIVEN ITC_MAX_DECOMPRESSION_RATIO=10 and a templates file of 80 lines of 1 MB of one repeated
    character (80 MB that gzip packs into well under 1 MB) WHEN the demand load runs THEN it is refused
    as a gzip bomb, naming the ratio, before the whole file is decompressed, and nothing changes."""
    monkeypatch.setenv("ITC_MAX_DECOMPRESSION_RATIO", "10")
    lines = (DECOMPRESSED_FLOOR_BYTES >> 20) + 16
    bomb = [{**TEMPLATE, "templateId": f"b{i}", "templateName": "x" * (1 << 20)} for i in range(lines)]
    ref = write_snapshot(s3, BUCKET, "demand", "bomb", demand_tables(bomb))

    with pytest.raises(SnapshotFileError) as info:
        load_demand(db, s3, ref)

    message = str(info.value)
    assert "ITC_MAX_DECOMPRESSION_RATIO=10" in message and "gzip bomb" in message
    refused_at = int(message.rsplit("refused at line ", 1)[1])
    assert refused_at < lines  # stopped while streaming, not after decompressing it all
    assert warehouse_state(db) == loaded_once


def test_manifest_over_the_limit_is_refused_unread(
        s3, db, loaded_once, monkeypatch):
    """GIVEN ITC_MAX_MANIFEST_BYTES=4096 and a 5 MB object at a manifest key WHEN the demand load runs
    THEN it fails with a ManifestError naming the limit and nothing changes."""
    monkeypatch.setenv("ITC_MAX_MANIFEST_BYTES", "4096")
    key = "demand/run=huge/_manifest.json"
    s3.put_object(Bucket=BUCKET, Key=key, Body=b'{"source": "demand", "pad": "' + b"x" * 5_000_000 + b'"}')

    with pytest.raises(ManifestError) as info:
        load_demand(db, s3, ObjectRef(BUCKET, key))

    assert str(info.value) == (f"s3://{BUCKET}/{key}: the manifest is larger than ITC_MAX_MANIFEST_BYTES=4096 "
                               "bytes; refused unread")
    assert warehouse_state(db) == loaded_once


def test_quickbase_answer_over_the_limit_is_refused_mid_stream(s3):
    """GIVEN the Quickbase simulator answering the report run with 256 MB of JSON and no Content-Length,
    and ITC_QB_MAX_RESPONSE_BYTES=1 MiB WHEN the Verify+ extract runs over real HTTP THEN it fails with a
    TerminalError naming the limit, having read a fraction of the body, and nothing lands in the bucket."""
    dataset = VerifyPlusDataset(SyntheticConfig(records=30, seed=3))
    with QuickbaseSimulator(dataset, token=DEFAULT_TOKEN, page_cap=10) as sim:
        sim.inject(kind="oversized", endpoint="run", size=256 << 20)
        settings = _extract_settings(sim, qb_max_response_bytes=1 << 20)
        report = QuickbaseReport.from_settings(settings, build_quickbase_session(settings, resolve_token(settings)))

        with pytest.raises(TerminalError) as info:
            extract_report(report, s3, BUCKET, "oversized")

        sent = sim.stats.oversized_bytes_sent
    assert "body over ITC_QB_MAX_RESPONSE_BYTES=1048576 bytes" in str(info.value)
    assert sent < 256 << 20
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0


def _extract_settings(sim: QuickbaseSimulator, **overrides: Any) -> ExtractSettings:
    from itc_common_utilities.settings import load_settings

    values = {"landing_bucket": BUCKET, "qb_realm": sim.realm, "qb_table_id": sim.table_id,
              "qb_report_id": sim.report_id, "qb_base_url": sim.base_url, "qb_token": DEFAULT_TOKEN,
              "qb_backoff_s": 0.01, "qb_max_wait_s": 0.05, "qb_timeout_s": 5.0, "env": "test", **overrides}
    return load_settings(ExtractSettings, values, environ={})


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word (a hung or hostile database)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def test_silent_database_fails_on_connect_timeout(
        silent_server, monkeypatch):
    """GIVEN ITC_DB_CONNECT_TIMEOUT_S=1 and a server that accepts TCP but never answers WHEN a component
    connects THEN the connection attempt ends with a TransientError about the timeout (instead of hanging
    the Lambda until its own timeout)."""
    monkeypatch.setenv("ITC_DB_CONNECT_TIMEOUT_S", "1")

    with pytest.raises(TransientError) as info:
        connect(dsn=f"postgresql://itc@127.0.0.1:{silent_server}/itc?sslmode=disable")

    assert "connecting to the warehouse failed" in str(info.value)
    assert "timeout expired" in str(info.value)


def test_every_connection_carries_a_connect_timeout(db_dsn, monkeypatch):
    """GIVEN no setting WHEN connect() opens a connection THEN libpq has connect_timeout=10 (the default);
    a DSN naming its own connect_timeout keeps it."""
    monkeypatch.delenv("ITC_DB_CONNECT_TIMEOUT_S", raising=False)
    for dsn, expected in ((db_dsn, "10"), (psycopg2.extensions.make_dsn(db_dsn, connect_timeout=3), "3")):
        conn = connect(dsn=dsn)
        try:
            assert conn.get_dsn_parameters()["connect_timeout"] == expected
        finally:
            conn.close()
