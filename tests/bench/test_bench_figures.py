"""Bench figures are written by the code that measures them, and the docs that quote them are generated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.bench import results, scale_model


def test_committed_bench_pages_are_fresh(capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN docs/bench/results.json as the last `make bench` wrote it
    WHEN its page and the scale model's generated part are rendered again
    THEN docs/bench/README.md and docs/scale-model.md already say exactly that."""
    assert results.main(["--check"]) == 0, capsys.readouterr().err
    assert scale_model.main(["--check"]) == 0, capsys.readouterr().err


def test_every_measured_input_comes_from_a_bench() -> None:
    """GIVEN the scale model's inputs WHEN they are read
    THEN every one marked measured is derived from docs/bench/results.json, and no other input says measured."""
    inputs = scale_model.inputs()
    measured = {name for name, (_v, _u, source) in inputs.items() if source.startswith("measured")}
    assert measured == set(scale_model.MEASURED)
    assert all("measured" not in source for _v, _u, source in scale_model.FIXED.values())
    assert all(value > 0 for name, (value, _u, _s) in inputs.items() if name in measured)


def test_record_replaces_only_its_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN a results file with a load section WHEN the export bench records its figures twice
    THEN the load section is kept, the export section holds the last figures with machine and settings,
    and a figure no bench recorded raises an error naming the bench to run."""
    path = tmp_path / "results.json"
    monkeypatch.setenv("ITC_BENCH_RESULTS", str(path))
    results.record("load", {"load_rows_per_s": 10})
    results.record("export", {"convert_items_per_s": 1}, {"demands": 5})
    results.record("export", {"convert_items_per_s": 2}, {"demands": 6})
    data = json.loads(path.read_text())
    assert data["load"]["figures"] == {"load_rows_per_s": 10}
    assert data["export"]["figures"] == {"convert_items_per_s": 2}
    assert data["export"]["settings"] == {"demands": 6} and data["export"]["machine"]["cores"] >= 1
    with pytest.raises(results.MissingFigure, match="run the 'scan_extract' bench"):
        results.figure("scan_extract", "item_us")
