#!/usr/bin/env bash
# Create (or reuse) the isolated virtualenv that holds checkov.
#
# checkov pins its own boto3/botocore and many other libraries, which clash with the
# project's dev tools in .venv, so it lives in a venv of its own (.local/checkov-venv,
# git-ignored). Prints the path of the checkov executable on success; exits non-zero
# with a message when it cannot be installed.
set -euo pipefail

CHECKOV_VERSION="${CHECKOV_VERSION:-3.3.30}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${CHECKOV_VENV:-$ROOT/.local/checkov-venv}"
PYTHON="${PYTHON:-python3}"

if [[ -x "$VENV/bin/checkov" ]] && [[ "$("$VENV/bin/python" -m pip show checkov 2>/dev/null | awk '/^Version:/{print $2}')" == "$CHECKOV_VERSION" ]]; then
  echo "$VENV/bin/checkov"
  exit 0
fi

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "checkov_venv: '$PYTHON' not found; a Python 3.9+ interpreter is required to install checkov" >&2
  exit 1
fi

echo "checkov_venv: installing checkov==$CHECKOV_VERSION into $VENV" >&2
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv "$VENV" >&2
"$VENV/bin/python" -m pip install --quiet --upgrade pip >&2 || true
if ! "$VENV/bin/python" -m pip install --quiet "checkov==$CHECKOV_VERSION" >&2; then
  echo "checkov_venv: FAILED to install checkov==$CHECKOV_VERSION (is the package index reachable?)" >&2
  exit 1
fi
if [[ ! -x "$VENV/bin/checkov" ]]; then
  echo "checkov_venv: checkov installed but $VENV/bin/checkov is missing" >&2
  exit 1
fi
echo "$VENV/bin/checkov"
