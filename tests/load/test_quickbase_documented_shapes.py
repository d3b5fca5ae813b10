"""Verify+ read from Quickbase answers built from the API's documented shapes, not from the pipeline's field list.

The answers below are written out by hand the way Quickbase's REST API v1 documents them:
``GET /v1/fields?tableId=`` lists every field of the table (built-ins 1-5 included) as
``{id, label, fieldType, ...}``, with ids that differ per realm; ``GET /v1/reports/{id}`` gives the
report's ``query.fields`` (field ids, in the report's own order); ``POST /v1/reports/{id}/run`` answers
``{data: [{"<fid>": {"value": ...}}], fields: [{id, label, type}], metadata: {totalRecords, numRecords,
numFields, skip}}`` with timestamps in milliseconds (``2026-10-14T17:05:09.000Z``), users as objects
``{email, id, name, userName}``, checkboxes as booleans and currency as numbers. Two realms hold the
same report with other field ids and another field order, and the report adds fields the warehouse does
not keep (``Record ID#``, ``Date Modified``). Nothing here is imported from ``verifyplus_pipeline.fields``:
a label renamed in the code lands its value in ``extra_fields`` and these tests fail.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from itc_common_utilities.http import build_session
from verifyplus_pipeline.builders import COLUMNS, build_row
from verifyplus_pipeline.quickbase import QuickbaseReport

TABLE_ID, REPORT_ID = "bqx7vrfyz", "7"

# the labels of the Verify+ report as the Quickbase table names them (the design's appendix), with each
# realm's own field id; realm B numbers them otherwise and its report lists them in another order
LABELS_AND_TYPES = [
    ("Request ID", "numeric"), ("Request Created Datetime", "timestamp"), ("Request Type", "text"),
    ("Firm Name", "text"), ("Firm Contact Name", "text"), ("Client Names", "text"), ("Accident State", "text"),
    ("BI Per Person Limit", "currency"), ("BI Per Occurrence Limit", "currency"), ("PD Limit", "currency"),
    ("UM Per Person Limits", "currency"), ("UM Per Occurrence Limit", "currency"),
    ("Number of Claimants", "numeric"), ("Claim Set Up Status", "text"), ("Claim Set Up Assignee", "user"),
    ("Claim Set Up Start Date", "date"), ("Claim Set Up Close Date", "date"), ("Liability Status", "text"),
    ("Verify Adjuster Name", "text"), ("Verify Request Status", "text"), ("Verify Start Datetime", "timestamp"),
    ("Reporting Carrier", "text"), ("Reporting Policy Number", "text"), ("Reporting Claim Number", "text"),
    ("Request Status", "text"), ("UM Stacking", "text"), ("Customer Close Datetime", "timestamp"),
    ("Date of Loss", "date"), ("Exclude From Reporting", "checkbox"), ("Duplicate Request", "checkbox"),
    ("Duplicate/Exclusion Comments", "text"), ("Verify Close Datetime", "timestamp"),
    ("Verify Close Datetime Overide", "timestamp"), ("Created Previous Business Day", "checkbox"),
    ("Claim Days to Close", "numeric"), ("Injury Adjuster Name", "text"), ("Property Adjuster Name", "text"),
    ("Verify Time Open", "numeric"), ("Verify Assignee", "text"), ("Documentation Status", "text"),
    ("Number of Attempts", "numeric"), ("Number of Attempted Calls", "numeric"),
    ("Number of Attempted Emails", "numeric"), ("Coverage Status", "text"), ("Coverage", "text"),
    ("Reporting Insured", "text"),
]
BUILT_INS = [(1, "Date Created", "timestamp"), (2, "Date Modified", "timestamp"), (3, "Record ID#", "recordid"),
             (4, "Record Owner", "user"), (5, "Last Modified By", "user")]
ASSIGNEE = {"email": "m.okafor@verify.example", "id": "58219447.c3tn", "name": "Maya Okafor", "userName": "mokafor"}

# two requests by label, as a user of the Quickbase UI would read them
REQUESTS = [
    {"Request ID": 48213, "Request Created Datetime": "2026-10-14T17:05:09.000Z", "Request Type": "Policy Limits",
     "Firm Name": "Alvarez & Kim LLP", "Client Names": "", "BI Per Person Limit": 25000,
     "BI Per Occurrence Limit": 50000.0, "PD Limit": 10000.5, "Number of Claimants": 2,
     "Claim Set Up Assignee": ASSIGNEE, "Claim Set Up Start Date": "2026-10-15", "Date of Loss": "2026-03-02",
     "Exclude From Reporting": False, "Duplicate Request": False,
     "Verify Close Datetime": "2026-10-20T21:14:03.250Z", "Claim Days to Close": 5.25,
     "Number of Attempts": 3, "Record ID#": 48213, "Date Modified": "2026-10-20T21:14:03.250Z"},
    {"Request ID": 48214, "Request Created Datetime": "2026-10-31T23:59:59.999Z", "Request Type": "Policy Limits",
     "Firm Name": "Brightwater Injury Law", "Exclude From Reporting": True, "Duplicate Request": True,
     "Duplicate/Exclusion Comments": "same claim as 48213", "Claim Set Up Assignee": None,
     "Record ID#": 48214, "Date Modified": "2026-11-01T00:00:00.000Z"},
]


def realm(name: str) -> dict[str, Any]:
    """The table's fields (id, label, fieldType) and the report's field ids in this realm."""
    first, step = (6, 1) if name == "a" else (120, 3)
    fields = [{"id": fid, "label": label, "fieldType": kind, "noWrap": False, "bold": False, "required": False,
               "appearsByDefault": True, "findEnabled": True, "unique": label == "Request ID",
               "doesDataCopy": False, "fieldHelp": "", "audited": False}
              for fid, label, kind in BUILT_INS]
    fields += [{"id": first + i * step, "label": label, "fieldType": kind, "noWrap": False, "bold": False,
                "required": False, "appearsByDefault": True, "findEnabled": True, "unique": False,
                "doesDataCopy": False, "fieldHelp": "", "audited": False}
               for i, (label, kind) in enumerate(LABELS_AND_TYPES)]
    fields.append({"id": 900, "label": "Internal Notes", "fieldType": "text"})  # in the table, not in the report
    by_label = {f["label"]: f["id"] for f in fields}
    order = [label for label, _ in LABELS_AND_TYPES] + ["Record ID#", "Date Modified"]
    if name == "b":
        order = list(reversed(order))
    return {"fields": fields, "report_ids": [by_label[label] for label in order], "by_label": by_label}


class _Quickbase(BaseHTTPRequestHandler):
    realms: ClassVar[dict[str, dict[str, Any]]] = {}

    def log_message(self, *_: Any) -> None:
        """Quiet: the test asserts on results, not on access logs."""

    def _answer(self, status: int, body: Any) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _realm(self) -> dict[str, Any] | None:
        return self.realms.get(self.headers.get("QB-Realm-Hostname", ""))

    def do_GET(self) -> None:
        url, found = urlsplit(self.path), self._realm()
        if found is None or parse_qs(url.query).get("tableId") != [TABLE_ID]:
            return self._answer(401, {"message": "Unauthorized", "description": "realm or table unknown"})
        if url.path == "/v1/fields":
            return self._answer(200, found["fields"])
        if url.path == f"/v1/reports/{REPORT_ID}":
            return self._answer(200, {"id": REPORT_ID, "name": "Verify+ billing", "type": "table", "description": "",
                                      "query": {"tableId": TABLE_ID, "filter": "", "formulaFields": [],
                                                "fields": found["report_ids"], "sortBy": [], "groupBy": []},
                                      "properties": {"displayOnlyNewOrChangedRecords": False}})
        return self._answer(404, {"message": "Not Found"})

    def do_POST(self) -> None:
        url, found = urlsplit(self.path), self._realm()
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if found is None or url.path != f"/v1/reports/{REPORT_ID}/run":
            return self._answer(404, {"message": "Not Found"})
        query = parse_qs(url.query)
        skip, top = int(query["skip"][0]), int(query["top"][0])
        page = REQUESTS[skip:skip + top]
        by_label, report_ids = found["by_label"], found["report_ids"]
        labels = {fid: label for label, fid in by_label.items()}
        data = [{str(fid): {"value": request.get(labels[fid], "" if labels[fid] != "Claim Set Up Assignee" else None)}
                 for fid in report_ids} for request in page]
        return self._answer(200, {
            "data": data,
            "fields": [{"id": fid, "label": labels[fid], "type": "text"} for fid in report_ids],
            "metadata": {"totalRecords": len(REQUESTS), "numRecords": len(page), "numFields": len(report_ids),
                         "skip": skip}})


@pytest.fixture
def quickbase() -> Iterator[str]:
    """The documented answers over real HTTP, for realms a.quickbase.example and b.quickbase.example."""
    _Quickbase.realms = {"a.quickbase.example": realm("a"), "b.quickbase.example": realm("b")}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Quickbase)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def rows_from(base_url: str, realm_host: str) -> tuple[QuickbaseReport, list[dict[str, Any]]]:
    session = build_session("itc-test", {"QB-Realm-Hostname": realm_host, "Authorization": "QB-USER-TOKEN t",
                                         "Content-Type": "application/json"})
    report = QuickbaseReport(session, base_url=base_url, table_id=TABLE_ID, report_id=REPORT_ID, page_size=1)
    return report, [dict(zip(COLUMNS, build_row(record), strict=True)) for record in report.iter_records()]


@pytest.mark.parametrize("realm_host", ["a.quickbase.example", "b.quickbase.example"])
def test_documented_answers_land_each_value_in_its_column(
        quickbase: str, realm_host: str) -> None:
    """GIVEN a Verify+ report answered in Quickbase's documented shapes (realm ids, ms timestamps, a user
    object, built-in fields the report adds), in two realms with other ids and field order
    WHEN the pipeline reads every page and builds the rows
    THEN each value is in the warehouse column a reader of the Quickbase report expects, typed."""
    report, rows = rows_from(quickbase, realm_host)

    added = ["Record ID#", "Date Modified"]
    assert report.stats.unknown_labels == (added if realm_host.startswith("a") else added[::-1])
    assert report.stats.missing_labels == []
    first, second = rows
    assert first["request_id"] == 48213 and second["request_id"] == 48214
    assert first["request_created_datetime"] == datetime(2026, 10, 14, 17, 5, 9, tzinfo=UTC)
    assert second["request_created_datetime"] == datetime(2026, 10, 31, 23, 59, 59, 999000, tzinfo=UTC)
    assert first["verify_close_datetime"] == datetime(2026, 10, 20, 21, 14, 3, 250000, tzinfo=UTC)
    assert first["firm_name"] == "Alvarez & Kim LLP" and second["firm_name"] == "Brightwater Injury Law"
    assert first["request_type"] == "Policy Limits" and first["client_names"] is None
    assert (first["bi_per_person_limit"], first["bi_per_occurrence_limit"], first["pd_limit"]) == (
        Decimal("25000.00"), Decimal("50000.00"), Decimal("10000.50"))
    assert first["number_of_claimants"] == 2 and first["number_of_attempts"] == 3
    assert first["claim_days_to_close"] == Decimal("5.25")
    assert json.loads(first["claim_set_up_assignee"]) == ASSIGNEE and second["claim_set_up_assignee"] is None
    assert first["claim_set_up_start_date"] == date(2026, 10, 15) and first["date_of_loss"] == date(2026, 3, 2)
    assert (first["exclude_from_reporting"], first["duplicate_request"]) == (False, False)
    assert (second["exclude_from_reporting"], second["duplicate_request"]) == (True, True)
    assert second["duplicate_exclusion_comments"] == "same claim as 48213"
    assert json.loads(first["extra_fields"]) == {"Record ID#": 48213, "Date Modified": "2026-10-20T21:14:03.250Z"}


def test_two_realms_with_other_ids_and_order_give_the_same_rows(quickbase: str) -> None:
    """GIVEN the same report in two realms whose field ids and report field order differ
    WHEN both are read THEN the built rows are the same, column for column (the extra fields' JSON in the
    report's own order, the same object)."""
    def comparable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [row | {"extra_fields": json.loads(row["extra_fields"])} for row in rows]

    _, in_a = rows_from(quickbase, "a.quickbase.example")
    _, in_b = rows_from(quickbase, "b.quickbase.example")
    assert len(in_a) == 2 and comparable(in_a) == comparable(in_b)
