"""What the extract does to each record: repairs for values UTF-8 JSON Lines cannot hold, label mapping."""

from __future__ import annotations

import orjson
import pytest

from itc_common_utilities.errors import TerminalError
from verifyplus_pipeline.extract import make_jsonable
from verifyplus_pipeline.quickbase import _to_labels


def test_lone_surrogate_and_huge_integer_repaired_and_counted():
    """GIVEN a lone surrogate and a huge integer WHEN made JSON-able THEN they are repaired and counted."""
    record = {"Client Names": "Ann \ud800 Lee 🙂", "Request ID": 10**30, "Coverage": "fine",
              "Claim Set Up Assignee": {"name": "\udc00x"}}
    fixed, changed = make_jsonable(record)
    assert changed == 3
    assert fixed["Client Names"] == "Ann \ufffd Lee 🙂"
    assert fixed["Request ID"] == "1" + "0" * 30
    assert fixed["Claim Set Up Assignee"] == {"name": "\ufffdx"}
    assert fixed["Coverage"] == "fine"
    orjson.dumps(fixed)


def test_given_a_clean_record_when_made_jsonable_then_nothing_changes():
    record = {"a": "text", "b": 1, "c": 2.5, "d": None, "e": True, "f": [1, {"g": "h"}]}
    assert make_jsonable(record) == (record, 0)


def test_report_row_keyed_by_label_and_unlisted_field_id_named():
    """GIVEN report rows as Quickbase answers them ({"<fid>": {"value": v}})
    WHEN mapped to labels
    THEN each value is under its label, and a field id the report does not list fails naming that id."""
    by_id = {"6": "Request ID", "7": "Firm Name", "8": "Claim Set Up Assignee"}
    row = {"6": {"value": 48213}, "7": {"value": "Alvarez & Kim LLP"}, "8": {"value": {"name": "Maya"}}}
    assert _to_labels(row, by_id, "running report 7 (skip=0)") == {
        "Request ID": 48213, "Firm Name": "Alvarez & Kim LLP", "Claim Set Up Assignee": {"name": "Maya"}}
    with pytest.raises(TerminalError, match=r"running report 7 \(skip=0\): a record holds field id 99, which"):
        _to_labels({"6": {"value": 1}, "99": {"value": "x"}}, by_id, "running report 7 (skip=0)")
