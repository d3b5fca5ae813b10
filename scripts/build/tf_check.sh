#!/usr/bin/env bash
# `make tf-check`: every static check of the Terraform, offline.
#
#   1. terraform fmt -check -recursive over terraform/ and terraform_modules/
#   2. terraform init -backend=false -lockfile=readonly + validate for each module (through its
#      examples/minimal root) and for each environment under terraform/, with providers from a local
#      filesystem mirror only (no registry is contacted). Each root has a committed
#      .terraform.lock.hcl (hashicorp/aws, hashes for linux_amd64); a root without one, or whose
#      providers do not match it, fails. To (re)generate one after changing a provider constraint:
#        terraform -chdir=<root> init -backend=false -plugin-dir=<mirror root>
#        terraform -chdir=<root> providers lock -fs-mirror=<mirror root> -platform=linux_amd64
#   3. checkov (pinned, in its own virtualenv) with zero failed checks; the only accepted
#      suppressions are inline `#checkov:skip=ID:reason` comments beside the resource
#   4. every module README's inputs/outputs tables match its .tf files (scripts/build/tf_docs.py)
#   5. pytest tests/terraform (state machine templates vs. the functions the module passes, and
#      executed in moto's Step Functions interpreter)
#
# Missing tools fail loudly; nothing is skipped silently.
# Environment:
#   TF_PLUGIN_DIR      provider mirror root (holding <host>/hashicorp/aws/<version>/<os_arch>/);
#                      found automatically under /opt, /usr/share and ~/.terraform.d when unset
#   TF_CHECK_ONLINE=1  allow `terraform init` to download providers (GitHub Actions) instead of
#                      requiring a mirror
#   CHECKOV            path of a checkov executable to use instead of .local/checkov-venv
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

fail() {
  echo "tf-check: FAILED: $*" >&2
  exit 1
}
step() { printf '\n==> %s\n' "$*"; }
# Any unexpected non-zero exit still says so.
trap 'rc=$?; echo "tf-check: FAILED (exit $rc at line $LINENO: $BASH_COMMAND)" >&2' ERR

# ---------------------------------------------------------------------------------------------
step "tools"
command -v terraform >/dev/null 2>&1 ||
  fail "terraform is not on PATH (Terraform >= 1.6 is required; CI installs it in .ci/run)"

# A private CLI config: no checkpoint calls, no user ~/.terraformrc influence.
TF_CLI_CONFIG_FILE="$(mktemp)"
trap 'rm -f "$TF_CLI_CONFIG_FILE"' EXIT
export TF_CLI_CONFIG_FILE
printf 'disable_checkpoint = true\n' >"$TF_CLI_CONFIG_FILE"
export CHECKPOINT_DISABLE=1
export TF_IN_AUTOMATION=1
export TF_INPUT=0
terraform version | sed -n 1p

INIT_ARGS=(-backend=false -input=false -no-color -lockfile=readonly)
if [[ "${TF_CHECK_ONLINE:-0}" == "1" ]]; then
  echo "providers: downloaded by terraform init (TF_CHECK_ONLINE=1)"
else
  if [[ -z "${TF_PLUGIN_DIR:-}" ]]; then
    # The mirror layout is <root>/<host>/<namespace>/<type>/<version>/<os_arch>/<binary>:
    # the root is five directories above the provider binary.
    for base in /opt /usr/share /usr/local/share "$HOME/.terraform.d" "$HOME/.local/share"; do
      [[ -d "$base" ]] || continue
      bin="$(find "$base" -maxdepth 8 -type f -name 'terraform-provider-aws_*' 2>/dev/null | sort | tail -n 1)"
      if [[ -n "$bin" ]]; then
        TF_PLUGIN_DIR="$(cd "$(dirname "$bin")/../../../../.." && pwd)"
        break
      fi
    done
  fi
  [[ -n "${TF_PLUGIN_DIR:-}" && -d "${TF_PLUGIN_DIR}" ]] ||
    fail "no hashicorp/aws provider mirror found: set TF_PLUGIN_DIR to a directory laid out as <host>/hashicorp/aws/<version>/<os_arch>/terraform-provider-aws_*, or TF_CHECK_ONLINE=1 to download"
  find "$TF_PLUGIN_DIR" -type f -name 'terraform-provider-aws_*' | grep -q . ||
    fail "TF_PLUGIN_DIR=$TF_PLUGIN_DIR holds no terraform-provider-aws binary"
  echo "providers: filesystem mirror $TF_PLUGIN_DIR"
  INIT_ARGS+=(-plugin-dir="$TF_PLUGIN_DIR")
fi

# ---------------------------------------------------------------------------------------------
step "terraform fmt -check -recursive"
terraform fmt -check -recursive -diff terraform terraform_modules ||
  fail "terraform fmt found unformatted files (run: terraform fmt -recursive terraform terraform_modules)"
echo "fmt: clean"

# ---------------------------------------------------------------------------------------------
step "terraform init + validate"
roots=()
for module_dir in terraform_modules/*/; do
  module="$(basename "$module_dir")"
  compgen -G "${module_dir}*.tf" >/dev/null || continue
  example="${module_dir}examples/minimal"
  [[ -d "$example" ]] || fail "module $module has no examples/minimal root to validate it through"
  roots+=("$example")
done
for env_dir in terraform/*/; do
  compgen -G "${env_dir}*.tf" >/dev/null && roots+=("${env_dir%/}")
done
[[ ${#roots[@]} -gt 0 ]] || fail "no Terraform roots found"

for root in "${roots[@]}"; do
  [[ -f "$root/.terraform.lock.hcl" ]] ||
    fail "$root has no committed .terraform.lock.hcl (see the top of scripts/build/tf_check.sh to generate it)"
  log="$(mktemp)"
  if ! terraform -chdir="$root" init "${INIT_ARGS[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    fail "terraform init failed in $root"
  fi
  if ! terraform -chdir="$root" validate -no-color >"$log" 2>&1; then
    cat "$log" >&2
    fail "terraform validate failed in $root"
  fi
  # Only the hashicorp/aws provider may be used (no archive/random/null/tls/...): the committed lock
  # file lists every provider the root and its modules need (init -lockfile=readonly checked that).
  others="$(grep -oE '^provider "[^"]+"' "$root/.terraform.lock.hcl" | grep -vE '/hashicorp/aws"$' | sort -u || true)"
  [[ -z "$others" ]] || fail "$root uses providers other than hashicorp/aws: $others"
  rm -f "$log"
  echo "valid: $root"
done

# ---------------------------------------------------------------------------------------------
step "checkov"
if [[ -n "${CHECKOV:-}" ]]; then
  [[ -x "$CHECKOV" ]] || fail "CHECKOV=$CHECKOV is not executable"
else
  CHECKOV="$(bash scripts/build/checkov_venv.sh)" || fail "could not install checkov (scripts/build/checkov_venv.sh)"
fi
"$CHECKOV" --version
json="$(mktemp)"
checkov_rc=0
: >"$json.err"
for scan_dir in terraform terraform_modules; do
  rc=0
  "$CHECKOV" --directory "$scan_dir" --framework terraform --skip-download --output json \
    >"$json.$scan_dir" 2>>"$json.err" || rc=$?
  [[ $rc -eq 0 ]] || checkov_rc=$rc
done
summary="$(python3 - "$json".terraform "$json".terraform_modules <<'PY'
import json, sys
reports = []
for path in sys.argv[1:]:
    try:
        text = open(path).read()
        decoder, pos = json.JSONDecoder(), 0
        while pos < len(text.rstrip()):
            while text[pos].isspace():
                pos += 1
            doc, pos = decoder.raw_decode(text, pos)
            reports.extend(doc if isinstance(doc, list) else [doc])
    except (OSError, ValueError, IndexError) as exc:
        print(f"checkov: no readable JSON report in {path} ({exc})")
        sys.exit(2)
if not reports:
    print("checkov: empty report")
    sys.exit(2)
passed = failed = skipped = 0
skips, failures = [], []
for r in reports:
    s = r.get("summary", {})
    passed += s.get("passed", 0)
    failed += s.get("failed", 0)
    skipped += s.get("skipped", 0)
    results = r.get("results", {})
    for c in results.get("failed_checks", []):
        failures.append(f"  FAILED {c['check_id']} {c['check_name']}: {c['resource']} ({c['file_path']}:{c['file_line_range'][0]})")
    for c in results.get("skipped_checks", []):
        reason = (c.get("check_result") or {}).get("suppress_comment", "")
        skips.append(f"  skip {c['check_id']} {c['resource']} ({c['file_path']}): {reason}")
print(f"checkov: passed={passed} failed={failed} skipped={skipped}")
for line in failures + sorted(set(skips)):
    print(line)
sys.exit(1 if failed else 0)
PY
)" && summary_rc=0 || summary_rc=$?
echo "$summary"
if [[ $summary_rc -eq 2 ]]; then
  cat "$json.err" >&2
fi
rm -f "$json" "$json.err" "$json.terraform" "$json.terraform_modules"
[[ $checkov_rc -eq 0 && $summary_rc -eq 0 ]] || fail "checkov reported failed checks or did not run (exit $checkov_rc)"
if echo "$summary" | grep -E '^  skip ' | grep -qE ': *$'; then
  fail "a checkov skip has no written reason"
fi

# ---------------------------------------------------------------------------------------------
step "README inputs/outputs tables (scripts/build/tf_docs.py --check)"
PYTHON_BIN="$ROOT/.venv/bin/python"
[[ -x "$PYTHON_BIN" ]] || fail "$PYTHON_BIN not found (run make venv)"
"$PYTHON_BIN" "$ROOT/scripts/build/tf_docs.py" --check || fail "a module README's tables are stale: run make tf-docs"

step "pytest tests/terraform"
PYTEST="$ROOT/.venv/bin/pytest"
[[ -x "$PYTEST" ]] || PYTEST="$(command -v pytest || true)"
[[ -n "$PYTEST" ]] || fail "pytest not found (run make venv)"
ITC_REQUIRE_TERRAFORM=1 TF_PLUGIN_DIR="${TF_PLUGIN_DIR:-}" "$PYTEST" -q -p no:cacheprovider tests/terraform ||
  fail "tests/terraform failed"

echo
echo "tf-check: OK"
