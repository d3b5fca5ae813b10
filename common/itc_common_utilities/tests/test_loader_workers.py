"""The forked parallel build: the same rows, rejects and counts as the in-process build."""

from __future__ import annotations

from typing import Any

import psycopg2
import pytest
from common_testkit import SPECS, audits, land, rows, table_digest, templates

from itc_common_utilities.loader import load_snapshot


@pytest.mark.timeout(120)
def test_two_workers_load_like_one_process(db_dsn: str, s3: Any) -> None:
    """GIVEN two build processes
    WHEN loaded
    THEN rows and rejects equal the in-process load."""
    recs: list[Any] = templates(2500)
    for rec in recs:
        rec["config"] = {"pad": "x" * 3000}  # batches of MBs: bigger than any pipe buffer
    recs[10] = {"templateName": "no id"}
    recs[1700] = {"templateId": "t5", "version": 1}           # duplicate of line 6
    recs[2200] = {"templateId": "tx", "version": "seven"}
    ref = land(s3, "r1", {"templates": recs, "documents_audit": audits(3)})
    digests = []
    for workers in (1, 2):
        conn = psycopg2.connect(db_dsn)
        with conn.cursor() as cur:
            cur.execute("TRUNCATE raw.templates, raw.audit, ops.rejected_records, ops.quarantined_fields, "
                        "ops.load_runs")
        conn.commit()
        result = load_snapshot(conn, s3, ref, SPECS, source="demand", workers=workers)
        digests.append((result.tables["templates"].to_dict() | {"read_ms": 0, "apply_ms": 0},
                        table_digest(conn, "raw.templates", "template_id"),
                        rows(conn, "SELECT line_number, reason_code, field_name, offending_value "
                                   "FROM ops.rejected_records ORDER BY line_number")))
        conn.close()
    assert digests[0][2] == [(11, "missing_key", "templateId", None), (1701, "duplicate_key", "template_id,version",
                                                                       "t5/1"), (2201, "bad_type", "version", "seven")]
    assert digests[0][1][0] == 2497
    assert digests[0][0] == digests[1][0]
    assert [d[2] for d in digests] == [digests[0][2]] * 2
