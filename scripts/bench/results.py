"""The bench figures, written by the code that measures them: ``docs/bench/results.json`` and its page.

Each bench of ``make bench`` ends with :func:`record`: its section of ``docs/bench/results.json`` is replaced
by the figures it just measured, with when, on what machine (cores, memory, load average while it ran,
Python) and with which settings. Nothing in that file is typed by hand.

Readers:

- ``docs/bench/README.md`` is rendered from the file (``python -m scripts.bench.results``; ``--check`` fails
  when it is stale, a test runs it): ADR 0007 and the README link to it instead of quoting figures.
- ``scripts/bench/scale_model.py`` takes every *measured* input of the scale model from the file
  (:func:`figure`), so docs/scale-model.md changes when a bench is re-run and the model regenerated.

``ITC_BENCH_RESULTS`` names another file (a trial run that should not replace the committed figures).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEFAULT_RESULTS = REPO / "docs" / "bench" / "results.json"
PAGE = REPO / "docs" / "bench" / "README.md"
HEADER = """# Bench figures

Generated from [results.json](results.json) by `python -m scripts.bench.results`; `make bench` rewrites both
(each bench replaces its own section with what it just measured). Do not edit by hand: re-run the bench.
Figures come from the machine named in each section (2 shared cores in this project's builds): compare
figures of one run, side by side, rather than across machines.
"""


class MissingFigure(LookupError):
    """A reader asked for a figure no bench has recorded (or recorded under another name)."""


def results_path() -> Path:
    return Path(os.environ.get("ITC_BENCH_RESULTS") or DEFAULT_RESULTS)


def load(path: Path | None = None) -> dict[str, Any]:
    path = path or results_path()
    return json.loads(path.read_text()) if path.exists() else {}


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    info: dict[str, Any] = {"cores": os.cpu_count(), "python": platform.python_version(),
                            "platform": platform.machine()}
    try:
        info["load_average_1m"] = round(os.getloadavg()[0], 2)
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as handle:
            info["memory_gb"] = round(int(handle.readline().split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return info


def record(section: str, figures: dict[str, Any], settings: dict[str, Any] | None = None,
           path: Path | None = None) -> Path:
    """Replace ``section`` of the results file with ``figures`` (numbers, strings, booleans, small dicts)."""
    path = path or results_path()
    data = load(path)
    data[section] = {
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        "settings": settings or {},
        "figures": figures,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    if path == DEFAULT_RESULTS:
        PAGE.write_text(render(load(path)))
    return path


def figure(section: str, name: str, data: dict[str, Any] | None = None) -> Any:
    """One recorded figure; :class:`MissingFigure` names the bench to run when it is absent."""
    data = load() if data is None else data
    try:
        return data[section]["figures"][name]
    except KeyError:
        raise MissingFigure(f"no figure {section}.{name} in {results_path()}: run the '{section}' bench "
                            "(make bench, or python -m scripts.bench.<section>)") from None


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict):
        return "; ".join(f"{k} {_value(v)}" for k, v in value.items())
    return str(value)


def render(data: dict[str, Any]) -> str:
    """The markdown page of every recorded section."""
    out = [HEADER]
    for section in sorted(data):
        entry = data[section]
        box = entry.get("machine", {})
        where = ", ".join(f"{k} {v}" for k, v in box.items())
        settings = ", ".join(f"{k}={v}" for k, v in entry.get("settings", {}).items()) or "defaults"
        out += [f"## {section}", "", f"Measured {entry.get('measured_at', '?')} ({where}); settings: {settings}.", "",
                "| figure | value |", "|---|---|"]
        out += [f"| `{name}` | {_value(value)} |" for name, value in sorted(entry.get("figures", {}).items())]
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when docs/bench/README.md is stale")
    args = parser.parse_args(argv)
    wanted = render(load(DEFAULT_RESULTS))
    if args.check:
        if not PAGE.exists() or PAGE.read_text() != wanted:
            print(f"error: {PAGE.relative_to(REPO)} is stale: run python -m scripts.bench.results", file=sys.stderr)
            return 1
        return 0
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    PAGE.write_text(wanted)
    print(f"wrote {PAGE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
