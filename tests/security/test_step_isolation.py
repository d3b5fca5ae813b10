"""Least privilege per step (docs/design.md §6): each pipeline is deployed twice from one code package, an
extract function and a load function with separate roles, told apart by ``ITC_FUNCTION_MODE``. A function
deployed for one step refuses the other step's event before it reads a setting, builds a client or
connects anywhere, so a load role is never asked to extract (it could not reach the Exchange or Quickbase
anyway) and an extract role is never asked to load (it could not reach the database).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from demand_pipeline import main as demand_main
from itc_common_utilities.handler import FUNCTION_MODE_VARIABLE, BadEventError, deployed_mode
from itc_common_utilities.settings import SettingsError
from verifyplus_pipeline import main as verifyplus_main

MODULES = Path(__file__).resolve().parents[2] / "terraform_modules"
BUCKET = "itc-local-landing"
HANDLERS = {"demand_pipeline": demand_main.handler, "verifyplus_pipeline": verifyplus_main.handler}


def sample(pipeline: str, name: str) -> dict[str, Any]:
    return json.loads((MODULES / pipeline / "lambdas" / pipeline / "tests" / "events" / name).read_text())


LOAD_EVENTS = {"demand_pipeline": "eventbridge_object_created.json",
               "verifyplus_pipeline": "eventbridge_manifest_created.json"}


def load_runs(dsn: str) -> int:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM ops.load_runs")
            return int(cur.fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize("pipeline", sorted(HANDLERS))
def test_extract_function_refuses_to_load(
        pipeline: str, monkeypatch: pytest.MonkeyPatch, moto_s3, migrated_db_dsn: str) -> None:
    """GIVEN the pipeline deployed as its extract function (ITC_FUNCTION_MODE=extract), with a database it
    could reach locally WHEN the EventBridge Object Created event of a manifest arrives (no mode: it means
    load) and then an explicit {"mode": "load"} THEN both are refused with the bad-event error naming the
    deployed mode, and no load run is recorded."""
    s3 = moto_s3(BUCKET)
    monkeypatch.setenv(FUNCTION_MODE_VARIABLE, "extract")
    monkeypatch.setenv("ITC_DATABASE_URL", migrated_db_dsn)
    monkeypatch.setenv("ITC_LANDING_BUCKET", BUCKET)

    for event in (sample(pipeline, LOAD_EVENTS[pipeline]), {**sample(pipeline, LOAD_EVENTS[pipeline]), "mode": "load"}):
        with pytest.raises(BadEventError) as refused:
            HANDLERS[pipeline](event)
        assert str(refused.value) == (f"{pipeline}: bad event: this function runs mode 'extract' only "
                                      f"(ITC_FUNCTION_MODE); it refuses mode 'load'")
    assert load_runs(migrated_db_dsn) == 0
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0


@pytest.mark.parametrize("pipeline", sorted(HANDLERS))
def test_load_function_refuses_to_extract(
        pipeline: str, monkeypatch: pytest.MonkeyPatch, moto_s3) -> None:
    """GIVEN the pipeline deployed as its load function (ITC_FUNCTION_MODE=load) WHEN the ingest state
    machine's extract event arrives THEN it is refused with the bad-event error naming the deployed mode,
    and nothing lands in the bucket."""
    s3 = moto_s3(BUCKET)
    monkeypatch.setenv(FUNCTION_MODE_VARIABLE, "load")
    monkeypatch.setenv("ITC_LANDING_BUCKET", BUCKET)

    with pytest.raises(BadEventError) as refused:
        HANDLERS[pipeline](sample(pipeline, "step_functions_extract.json"))

    assert str(refused.value) == (f"{pipeline}: bad event: this function runs mode 'load' only "
                                  f"(ITC_FUNCTION_MODE); it refuses mode 'extract'")
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0


@pytest.mark.parametrize("pipeline", sorted(HANDLERS))
def test_load_function_accepts_its_own_kind_of_event(
        pipeline: str, monkeypatch: pytest.MonkeyPatch, moto_s3, migrated_db_dsn: str) -> None:
    """GIVEN the load function WHEN a manifest event for a key that is not a manifest arrives THEN the
    mode check lets it through: the handler answers with its usual load result (the key listed as ignored)."""
    moto_s3(BUCKET)
    monkeypatch.setenv(FUNCTION_MODE_VARIABLE, "load")
    monkeypatch.setenv("ITC_DATABASE_URL", migrated_db_dsn)
    result = HANDLERS[pipeline]({"mode": "load", "bucket": BUCKET, "key": "elsewhere/readme.txt"})
    assert result == {"mode": "load", "loads": [{"status": "ignored", "manifest_key": "elsewhere/readme.txt"}]}


def test_no_function_mode_runs_all_and_bad_value_is_named() -> None:
    """GIVEN ITC_FUNCTION_MODE unset (local tooling), then set to a mode, then to a value that is not one of
    the handler's modes WHEN the deployed mode is read THEN unset fixes no mode (every mode runs), a mode is
    kept, and a bad value gives a SettingsError naming the variable and the modes."""
    assert deployed_mode("demand_pipeline", ("extract", "load"), environ={}) is None
    assert deployed_mode("demand_pipeline", ("extract", "load"), environ={FUNCTION_MODE_VARIABLE: "load"}) == "load"
    with pytest.raises(SettingsError) as bad:
        deployed_mode("demand_pipeline", ("extract", "load"), environ={FUNCTION_MODE_VARIABLE: "both"})
    assert str(bad.value) == "demand_pipeline: ITC_FUNCTION_MODE='both' is not valid: expected one of extract, load"
