#!/usr/bin/env bash
# The Debian packages a make target needs beyond Python and git: the one list, used by the Makefile
# and by the GitHub workflows.
#
#   bash scripts/build/system_packages.sh venv        # Python's venv/ensurepip (Debian's python3-venv)
#   bash scripts/build/system_packages.sh test        # + Chromium (dashboard browser test),
#                                                     #   PostgreSQL, pgAudit and openssl (the TLS and
#                                                     #   PHI-audit tests' engine), a C compiler,
#                                                     #   Python's headers and the aarch64 cross
#                                                     #   compiler (the compiled row builder)
#   bash scripts/build/system_packages.sh package     # + Debian's aarch64 cross compiler (the compiled row
#                                                     #   builder in the demand Lambda's layer)
#   bash scripts/build/system_packages.sh list [MODE] # print every package MODE (default test) may
#                                                     #   install, one per line; installs nothing
#
# Root with apt-get: installs what is missing. Anyone else: stops with the exact command to run.
# GitHub's runners are not root: the workflows run it under sudo (`sudo env PYTHON=... bash
# scripts/build/system_packages.sh test`), so the packages they install are this list.
# Never a silent skip: a test that needs one of these fails rather than skipping it.
set -euo pipefail

action=install
mode="${1:-test}"
if [ "$mode" = list ]; then
  action=list
  mode="${2:-test}"
fi
case "$mode" in
  venv | test | package) ;;
  *)
    echo "error: unknown mode '$mode' (venv, test, package, or list [venv|test|package])" >&2
    exit 2
    ;;
esac

# pgAudit is built per PostgreSQL major: the installed engine's, else the one the distribution's
# `postgresql` package would install (Debian 12: 15, Ubuntu 24.04: 16).
pgaudit_package() {
  local major
  major="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)"
  if [ -z "$major" ]; then
    major="$(apt-cache depends postgresql 2>/dev/null | grep -oE 'postgresql-[0-9]+' | head -1 | cut -d- -f2 || true)"
  fi
  echo "postgresql-${major:-15}-pgaudit"
}
pgaudit="$(pgaudit_package)"

if [ "$action" = list ]; then
  echo python3-venv
  if [ "$mode" = test ]; then
    printf '%s\n' chromium postgresql "$pgaudit" openssl gcc python3-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  fi
  if [ "$mode" = package ]; then
    printf '%s\n' gcc gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  fi
  exit 0
fi

need=()
python="${PYTHON:-python3}"
"$python" -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
if [ "$mode" = test ]; then
  # any of the names the browser test looks for (GitHub's runners carry Google Chrome)
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
    || command -v google-chrome >/dev/null 2>&1 || command -v google-chrome-stable >/dev/null 2>&1 \
    || need+=(chromium)
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || need+=(postgresql)
  compgen -G '/usr/lib/postgresql/*/lib/pgaudit.so' >/dev/null || need+=("$pgaudit")
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
  command -v gcc >/dev/null 2>&1 || need+=(gcc)
  "$python" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    2>/dev/null || need+=(python3-dev)
fi
if [ "$mode" = test ] || [ "$mode" = package ]; then  # the tests check the aarch64 build too
  command -v gcc >/dev/null 2>&1 || [[ " ${need[*]} " == *" gcc "* ]] || need+=(gcc)
  command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need+=(gcc-aarch64-linux-gnu)
  [ -e /usr/aarch64-linux-gnu/include/stdio.h ] || need+=(libc6-dev-arm64-cross)
fi
[ "${#need[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  # the package lists are fresh now: name pgAudit for the engine they would install
  for i in "${!need[@]}"; do
    [[ "${need[$i]}" == *-pgaudit ]] && need[$i]="$(pgaudit_package)"
  done
  echo "installing the system packages this needs: ${need[*]}"
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
