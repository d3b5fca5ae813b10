"""Where things live in the checkout: one place for the paths the local tooling shares.

Two of them may be moved with an environment variable, so a second user of the checkout (the test
suite) never writes over the demo's: ``ITC_REPORTS_DIR`` (the reports `itc` writes by default,
``reports/``) and ``ITC_LOG_DIR`` (the Lambda log of local runs, ``.local/logs/``).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOCAL = REPO / ".local"                      # local state: embedded PostgreSQL, stack state, logs (git-ignored)
SQL_SCRIPTS = REPO / "terraform_modules" / "itc_data_warehouse" / "sql_scripts"
CHECKOUT_REPORTS = REPO / "reports"          # the demo's reports, whatever ITC_REPORTS_DIR says
REPORTS = Path(os.environ.get("ITC_REPORTS_DIR") or CHECKOUT_REPORTS)
LOG_DIR = Path(os.environ.get("ITC_LOG_DIR") or LOCAL / "logs")
DATA_DICTIONARY = REPO / "docs" / "data-dictionary.md"
