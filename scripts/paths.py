"""Where things live in the checkout: one place for the paths the local tooling shares."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOCAL = REPO / ".local"                      # local state: embedded PostgreSQL, stack state, logs (git-ignored)
SQL_SCRIPTS = REPO / "terraform_modules" / "itc_data_warehouse" / "sql_scripts"
REPORTS = REPO / "reports"
DATA_DICTIONARY = REPO / "docs" / "data-dictionary.md"
