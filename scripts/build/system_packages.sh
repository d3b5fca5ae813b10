#!/usr/bin/env bash
# The Debian packages a make target needs beyond Python and git, installed when missing.
#
#   bash scripts/build/system_packages.sh venv   # Python's venv/ensurepip (Debian's python3-venv)
#   bash scripts/build/system_packages.sh test   # + Chromium (dashboard browser test),
#                                                #   PostgreSQL, pgAudit and openssl (the TLS and
#                                                #   PHI-audit tests' engine)
#
# Root with apt-get: installs what is missing. Anyone else: stops with the exact command to run.
# Never a silent skip: a test that needs one of these fails rather than skipping it.
set -euo pipefail

need=()
python="${PYTHON:-python3}"
"$python" -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
if [ "${1:-test}" = test ]; then
  # any of the names the browser test looks for (GitHub's runners carry Google Chrome)
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
    || command -v google-chrome >/dev/null 2>&1 || command -v google-chrome-stable >/dev/null 2>&1 \
    || need+=(chromium)
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || need+=(postgresql)
  # pgAudit for that engine (the PHI read audit test); Debian's PostgreSQL is 15 when none is installed yet
  pg_major="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)"
  compgen -G '/usr/lib/postgresql/*/lib/pgaudit.so' >/dev/null || need+=("postgresql-${pg_major:-15}-pgaudit")
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
fi
[ "${#need[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing the system packages this needs: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  exit 0
fi
echo "error: missing system packages: ${need[*]}" >&2
if command -v apt-get >/dev/null 2>&1; then
  echo "run: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
else
  echo "install them with your system's package manager (Debian names: ${need[*]})" >&2
fi
exit 1
