"""Repairs extract applies to values UTF-8 JSON Lines cannot hold."""

from __future__ import annotations

import orjson

from verifyplus_pipeline.extract import make_jsonable


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
