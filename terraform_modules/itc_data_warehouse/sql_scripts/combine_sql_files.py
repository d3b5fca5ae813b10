"""Write combined.sql: every numbered script in order, as one init file for a fresh database.

    python terraform_modules/itc_data_warehouse/sql_scripts/combine_sql_files.py [--check]

``--check`` exits 1 when combined.sql is stale instead of rewriting it (the test suite runs it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from itc_common_utilities.migrations import render_combined

HERE = Path(__file__).resolve().parent
COMBINED = HERE / "combined.sql"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if combined.sql is stale")
    args = parser.parse_args(argv)
    text = render_combined(HERE)
    if args.check:
        if not COMBINED.exists() or COMBINED.read_text(encoding="utf-8") != text:
            print("combined.sql is stale: run `make combined-sql`", file=sys.stderr)
            return 1
        return 0
    COMBINED.write_text(text, encoding="utf-8")
    print(f"wrote {COMBINED.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
