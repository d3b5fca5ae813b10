"""Forward-only SQL migrations: ``NN_description.sql`` files applied in order, once each.

Each script runs in its own transaction and is recorded in ``ops.schema_migrations`` with its
sha256. Re-running is a no-op; an applied script whose content changed is refused with an error
naming the file (write a new numbered script instead). :func:`render_combined` produces the single
``combined.sql`` init file for a fresh database, including the same history rows, so a database
built from it is recognised by the runner afterwards.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itc_common_utilities.db import advisory_xact_lock

SCRIPT_NAME = re.compile(r"^(\d{2,})_[a-z0-9_]+\.sql$")
HISTORY_DDL = """\
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.schema_migrations (
    filename   text        PRIMARY KEY,
    sha256     char(64)    NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text        NOT NULL DEFAULT current_user
);
COMMENT ON TABLE ops.schema_migrations IS 'Migration history: each applied SQL script with the sha256 of its content.';
COMMENT ON COLUMN ops.schema_migrations.filename IS 'Script file name (NN_description.sql).';
COMMENT ON COLUMN ops.schema_migrations.sha256 IS
    'sha256 of the script as applied; an edited applied script is refused.';
COMMENT ON COLUMN ops.schema_migrations.applied_at IS 'When the script was applied.';
COMMENT ON COLUMN ops.schema_migrations.applied_by IS 'Database role that applied it.';
"""


# Re-applied after any script ran: ownership, grants and default privileges of every ITC object
# (sql_scripts/34_create_security_baseline.sql), so an object a new script creates is never left
# ungranted or owned by the wrong role. A no-op until that script exists.
SECURITY_BASELINE = """\
DO $baseline$ BEGIN
    IF to_regprocedure('ops.apply_security_baseline()') IS NOT NULL THEN
        CALL ops.apply_security_baseline();
    END IF;
END $baseline$;
"""


class MigrationError(RuntimeError):
    """A migration cannot be applied (edited applied script, bad name, failing SQL)."""


@dataclass(frozen=True)
class Script:
    name: str
    sql: str
    sha256: str


def discover(scripts_dir: Path) -> list[Script]:
    """The numbered scripts of ``scripts_dir`` in order; a duplicate number is an error."""
    scripts: list[Script] = []
    numbers: dict[int, str] = {}
    for path in sorted(Path(scripts_dir).glob("*.sql")):
        if path.name == "combined.sql":
            continue
        match = SCRIPT_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration names must look like NN_description.sql")
        number = int(match.group(1))
        if number in numbers:
            raise MigrationError(f"{path.name}: number {number} is already used by {numbers[number]}")
        numbers[number] = path.name
        data = path.read_bytes()
        scripts.append(Script(path.name, data.decode("utf-8"), hashlib.sha256(data).hexdigest()))
    return sorted(scripts, key=lambda s: int(SCRIPT_NAME.match(s.name).group(1)))  # type: ignore[union-attr]


def apply_migrations(conn: Any, scripts_dir: Path) -> list[str]:
    """Apply every script not yet applied; return the names applied now. Safe to run concurrently."""
    scripts = discover(scripts_dir)
    applied_now: list[str] = []
    previous_autocommit = conn.autocommit
    conn.autocommit = False
    try:
        with conn.cursor() as cur:
            advisory_xact_lock(cur, "migrations")
            cur.execute(HISTORY_DDL)
            cur.execute("SELECT filename, sha256 FROM ops.schema_migrations")
            history = dict(cur.fetchall())
        conn.commit()
        for script in scripts:
            recorded = history.get(script.name)
            if recorded is not None:
                if recorded.strip() != script.sha256:
                    raise MigrationError(
                        f"{script.name} was applied with sha256 {recorded.strip()[:12]}… but the file now has "
                        f"{script.sha256[:12]}…: applied scripts are never edited; add a new numbered script"
                    )
                continue
            with conn.cursor() as cur:
                advisory_xact_lock(cur, "migrations")
                cur.execute("SELECT 1 FROM ops.schema_migrations WHERE filename = %s", (script.name,))
                if cur.fetchone() is None:  # another runner may have applied it meanwhile
                    try:
                        cur.execute(script.sql)
                    except Exception as exc:
                        conn.rollback()
                        raise MigrationError(f"{script.name} failed: {str(exc).strip().splitlines()[0]}") from exc
                    cur.execute(
                        "INSERT INTO ops.schema_migrations (filename, sha256) VALUES (%s, %s)",
                        (script.name, script.sha256),
                    )
                    applied_now.append(script.name)
            conn.commit()
        if applied_now:
            with conn.cursor() as cur:
                advisory_xact_lock(cur, "migrations")
                try:
                    cur.execute(SECURITY_BASELINE)
                except Exception as exc:
                    conn.rollback()
                    raise MigrationError(
                        f"security baseline failed after {applied_now[-1]}: {str(exc).strip().splitlines()[0]}"
                    ) from exc
            conn.commit()
    finally:
        if conn.closed == 0:
            conn.rollback()
            conn.autocommit = previous_autocommit
    return applied_now


def render_combined(scripts_dir: Path) -> str:
    """One init file: the history table, then each script with the row recording it."""
    parts = [
        "-- combined.sql: GENERATED by combine_sql_files.py from the numbered scripts; never edit by hand.\n",
        "-- It builds a fresh database in one go and records every script in ops.schema_migrations,\n",
        "-- so the migration runner treats the result as fully migrated.\n\n",
        HISTORY_DDL,
    ]
    for script in discover(scripts_dir):
        parts.append(f"\n-- ==== {script.name} ====\n")
        parts.append(script.sql if script.sql.endswith("\n") else script.sql + "\n")
        parts.append(
            "INSERT INTO ops.schema_migrations (filename, sha256) "
            f"VALUES ('{script.name}', '{script.sha256}');\n"
        )
    parts.append("\n-- ==== security baseline (ownership, grants), as the runner does after applying ====\n")
    parts.append(SECURITY_BASELINE)
    return "".join(parts)
