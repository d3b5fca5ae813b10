"""The analysts' data dictionary (docs/data-dictionary.md) is generated from the warehouse's comments
and must match what a freshly migrated database says."""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

import psycopg2

from scripts.itc import data_dictionary

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "docs" / "data-dictionary.md"


def test_regenerated_dictionary_equals_the_committed_file(
    db: psycopg2.extensions.connection,
) -> None:
    """GIVEN every SQL script applied to a new database
    WHEN `itc docs` regenerates the data dictionary
    THEN it equals docs/data-dictionary.md (otherwise the committed file is stale)."""
    generated = data_dictionary.render(db)
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""
    if generated != committed:
        diff = "".join(list(difflib.unified_diff(committed.splitlines(True), generated.splitlines(True),
                                                 "committed", "generated", n=1))[:60])
        raise AssertionError(
            "docs/data-dictionary.md is stale: regenerate it with `make docs`"
            f" and commit it.\n{diff}")


def test_every_analyst_column_has_a_meaning_and_phi_is_marked(
    db: psycopg2.extensions.connection,
) -> None:
    """GIVEN the migrated warehouse
    WHEN the dictionary is generated
    THEN no analytics/curated relation or column lacks a comment, PHI columns say PHI, and counts do not."""
    assert data_dictionary.missing_comments(db) == []
    text = data_dictionary.render(db)
    rows = {line.split("|")[1].strip(" `"): line for line in text.splitlines() if line.startswith("| `")}
    assert "**PHI**" in rows["claimant_name"]
    assert "**PHI**" in rows["claim_number"]
    assert "| no |" in rows["uploaded_count"]
    assert "sslmode=verify-full" in text
    for relation in ("analytics.demands_summary", "analytics.verifyplus_monthly", "analytics.invoice_lines",
                     "curated.demands_uploaded", "curated.demands_archived", "curated.verifyplus"):
        assert f"### `{relation}`" in text


def test_given_a_comment_that_denies_phi_when_classified_then_it_is_not_phi() -> None:
    """GIVEN comments such as 'No PHI: counts per firm' and 'Claim number (PHI)'
    WHEN a column is classified
    THEN only the one that says it holds PHI (or carries a catalogued PHI name) is PHI."""
    assert not data_dictionary.is_phi("uploaded_count", "Demands uploaded in the month. No PHI.")
    assert data_dictionary.is_phi("reporting_claim_number", "Claim number (PHI).")
    assert data_dictionary.is_phi("claimant_name", None)
    assert not data_dictionary.is_phi("firm_name", "Requesting law firm.")


def test_itc_docs_renders_the_scripts_not_a_stale_developer_database(
    db: psycopg2.extensions.connection, db_dsn: str, tmp_path: Path,
) -> None:
    """GIVEN a developer database behind the scripts (a view dropped from it)
    WHEN `itc docs` runs against it, then `itc docs --from-warehouse`
    THEN the first writes the committed dictionary (from a throw-away database it drops again) and only the
    second shows the developer database, without the view."""
    with db.cursor() as cur:
        cur.execute("DROP VIEW analytics.units_at_risk")
        cur.execute("SELECT count(*) FROM pg_database")
        databases = cur.fetchone()[0]
    db.commit()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ITC_")}, "ITC_DATABASE_URL": db_dsn}
    for flag, name in (((), "scripts.md"), (("--from-warehouse",), "warehouse.md")):
        subprocess.run([sys.executable, "-m", "scripts.itc", "docs", "--output", str(tmp_path / name), *flag],
                       cwd=REPO, env=env, check=True, capture_output=True, timeout=300)
    assert (tmp_path / "scripts.md").read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8")
    assert "- [`analytics.units_at_risk`]" not in (tmp_path / "warehouse.md").read_text(encoding="utf-8")
    assert "- [`analytics.units_at_risk`]" in COMMITTED.read_text(encoding="utf-8")
    with db.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_database")
        assert cur.fetchone()[0] == databases, "the throw-away database is dropped"
    db.rollback()
