"""`make rehearse`'s runner refuses each break of the deployed form, naming the cause.

The runner (scripts/build/lambda_rehearsal.py) is the one the rehearsal's moto calls on every Invoke: the
artefacts here are the rehearsal's own build (package_lambdas.py for this machine's python3.12, with a
generated stand-in CA at the layer's RDS CA path), unpacked read-only at /var/task and /opt in a private
mount namespace. Each test breaks one thing on purpose — the CA bundle missing from the layer, a wrong
handler path, a setting the code needs that is not set, a setting set that nothing reads, a dependency
missing from the layer — and checks the outcome names it. Needs root (the mount namespace) and python3.12.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scripts.build import lambda_rehearsal as lr
from scripts.build.standin_ca import make_standin_ca

PYTHON = lr.find_python()
pytestmark = pytest.mark.skipif(PYTHON is None or os.geteuid() != 0 or shutil.which("unshare") is None,
                                reason="needs python3.12, root and unshare (the rehearsal's private mounts)")
REPO = Path(__file__).resolve().parents[2]
RDS_NAME = "itc-beta-warehouse.aaaaaaaaaa.us-east-1.rds.amazonaws.com"
CA_PATH = "/opt/python/rds-ca/global-bundle.pem"

# The verifyplus extract's environment as terraform_modules/verifyplus_pipeline/main.tf sets it.
VERIFYPLUS_EXTRACT_ENV = {
    "ITC_ENV": "beta", "LOG_LEVEL": "INFO", "ITC_FUNCTION_MODE": "extract", "ITC_LANDING_BUCKET": "itc-beta-landing",
    "ITC_MANIFEST_MAC_KEY_ID": "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000",
    "ITC_QB_BASE_URL": "https://api.quickbase.com", "ITC_QB_REALM": "itc-local.quickbase.com",
    "ITC_QB_TABLE_ID": "bq7vrfy2x", "ITC_QB_REPORT_ID": "12",
    "ITC_QB_TOKEN_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:itc-beta/quickbase-user-token",
    "ITC_QB_PAGE_SIZE": "1000", "ITC_QB_TIMEOUT_S": "30",
}
# The orchestrator's (refresh / quality) as terraform_modules/orchestrator/main.tf sets it.
ORCHESTRATOR_ENV = {
    "ITC_ENV": "beta", "LOG_LEVEL": "INFO", "ITC_DB_HOST": RDS_NAME, "ITC_DB_PORT": "5432", "ITC_DB_NAME": "itc",
    "ITC_DB_SSLMODE": "verify-full", "ITC_DB_SSLROOTCERT": CA_PATH, "ITC_DB_STATEMENT_TIMEOUT_MS": "900000",
    "ITC_LANDING_BUCKET": "itc-beta-landing", "ITC_BUSINESS_TZ": "America/New_York",
    "ITC_DB_USER": "itc_refresher", "ITC_DB_IAM_AUTH": "true",
}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rehearsal's build: code zips and python3.12 layers for this machine, the stand-in CA in the layer."""
    root = tmp_path_factory.mktemp("rehearsal-build")
    ca = make_standin_ca(root / "ca", [RDS_NAME]).ca_cert
    out = root / "dist"
    subprocess.run([sys.executable, "scripts/build/package_lambdas.py", "--platform", "host", "--python-version",
                    "3.12", "--dist", str(out), "--rds-ca-bundle", str(ca), "--rehearsal-ca",
                    "--lambda", "verifyplus_pipeline", "--lambda", "orchestrator"], cwd=REPO, check=True,
                   capture_output=True)
    return out


@pytest.fixture
def setup(tmp_path: Path) -> lr.Setup:
    # no AWS or database is reachable: every test fails before the first call, or it would hang on none
    return lr.Setup(workdir=tmp_path / "runs", python=PYTHON, added={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})


def layer_without(dist: Path, name: str, prefix: str, tmp_path: Path) -> Path:
    """A copy of ``name``'s layer zip without the entries under ``prefix``."""
    target = tmp_path / f"{name}-layer-broken.zip"
    with zipfile.ZipFile(dist / f"{name}-layer.zip") as src, zipfile.ZipFile(target, "w") as dst:
        kept = [i for i in src.infolist() if not i.filename.startswith(prefix)]
        assert len(kept) < len(src.infolist()), f"the layer has nothing under {prefix}"
        for info in kept:
            dst.writestr(info, src.read(info))
    return target


def test_given_the_layer_without_the_ca_bundle_when_run_then_it_fails_naming_it(dist, setup, tmp_path):
    """GIVEN the orchestrator's layer without python/rds-ca/global-bundle.pem and Terraform's
    ITC_DB_SSLROOTCERT WHEN the runner runs refresh THEN it fails before running, naming the missing bundle."""
    spec = lr.spec_from_dist("orchestrator", dist, "orchestrator.main.handler", ORCHESTRATOR_ENV,
                             layer_zip=layer_without(dist, "orchestrator", "python/rds-ca/", tmp_path))
    outcome = lr.run(spec, {"mode": "refresh"}, setup)
    assert outcome.error
    assert outcome.outcome.startswith("Rehearsal.Preflight")
    assert f"ITC_DB_SSLROOTCERT={CA_PATH} is not in the deployed layout: the layer lacks the RDS CA bundle" \
        in outcome.outcome


def test_given_the_layer_with_the_ca_bundle_when_run_then_the_preflight_passes(dist, setup):
    """GIVEN the same function with the stand-in CA in its layer WHEN run THEN no preflight failure (the run
    goes on to the handler, which fails later at the unreachable endpoints: not a layout problem)."""
    spec = lr.spec_from_dist("orchestrator", dist, "orchestrator.main.handler", ORCHESTRATOR_ENV, timeout=60)
    outcome = lr.run(spec, {"mode": "refresh"}, setup)
    assert not outcome.outcome.startswith("Rehearsal.Preflight"), outcome.outcome
    assert "ITC_DB_HOST" in outcome.env_read and "ITC_DB_SSLROOTCERT" in outcome.env_read


def test_given_a_wrong_handler_path_when_run_then_it_fails_with_the_import_error(dist, setup):
    """GIVEN the handler verifyplus_pipeline.mian.handler (a typo) WHEN run THEN Lambda's
    Runtime.ImportModuleError naming the module."""
    spec = lr.spec_from_dist("verifyplus_pipeline", dist, "verifyplus_pipeline.mian.handler", VERIFYPLUS_EXTRACT_ENV)
    outcome = lr.run(spec, {"mode": "extract", "run_id": "r1"}, setup)
    assert outcome.error
    assert outcome.outcome == ("Runtime.ImportModuleError: Unable to import module 'verifyplus_pipeline.mian': "
                               "No module named 'verifyplus_pipeline.mian'")


def test_given_a_needed_setting_not_set_when_run_then_it_fails_naming_the_variable(dist, setup):
    """GIVEN Terraform's extract environment without ITC_QB_TABLE_ID WHEN the extract runs THEN it fails
    with the settings error naming ITC_QB_TABLE_ID."""
    env = {k: v for k, v in VERIFYPLUS_EXTRACT_ENV.items() if k != "ITC_QB_TABLE_ID"}
    spec = lr.spec_from_dist("verifyplus_pipeline", dist, "verifyplus_pipeline.main.handler", env)
    outcome = lr.run(spec, {"mode": "extract", "run_id": "r1"}, setup)
    assert outcome.error
    assert outcome.outcome == "SettingsError: missing required environment variable(s): ITC_QB_TABLE_ID"


def test_given_a_setting_nothing_reads_when_run_then_it_fails_naming_it(dist, setup):
    """GIVEN Terraform's extract environment plus ITC_QB_TABLEID (misspelt) WHEN run THEN it fails before
    running: nothing in the artefact reads ITC_QB_TABLEID."""
    spec = lr.spec_from_dist("verifyplus_pipeline", dist, "verifyplus_pipeline.main.handler",
                             {**VERIFYPLUS_EXTRACT_ENV, "ITC_QB_TABLEID": "bq7vrfy2x"})
    outcome = lr.run(spec, {"mode": "extract", "run_id": "r1"}, setup)
    assert outcome.error
    assert ("Terraform sets ITC_QB_TABLEID on verifyplus_pipeline but nothing in its artefact reads it"
            in outcome.outcome)


def test_given_terraforms_environment_then_every_variable_is_read_by_the_artefact(dist, tmp_path):
    """GIVEN the unpacked verifyplus and orchestrator artefacts WHEN the static check compares Terraform's
    environments with the names their code reads THEN none is unread (the check passes on the real build)."""
    for name, env in (("verifyplus_pipeline", VERIFYPLUS_EXTRACT_ENV), ("orchestrator", ORCHESTRATOR_ENV)):
        spec = lr.spec_from_dist(name, dist, f"{name}.main.handler", env)
        task, opt, _runtime = lr.unpack(spec, tmp_path / name)
        lr.preflight(spec, task, opt)


def test_given_a_dependency_missing_from_the_layer_when_run_then_it_fails_naming_it(dist, setup, tmp_path):
    """GIVEN the verifyplus layer without requests WHEN the extract runs THEN it fails naming the missing
    module (the extract imports its code, and so requests, at its first call: docs/adr/0016)."""
    spec = lr.spec_from_dist("verifyplus_pipeline", dist, "verifyplus_pipeline.main.handler", VERIFYPLUS_EXTRACT_ENV,
                             layer_zip=layer_without(dist, "verifyplus_pipeline", "python/requests/", tmp_path))
    outcome = lr.run(spec, {"mode": "extract", "run_id": "r1"}, setup)
    assert outcome.error
    assert outcome.outcome == ("MissingModuleError: verifyplus_pipeline cannot run mode extract: module requests is "
                               "not in its package or layer (imported at the mode's first call)")


def test_given_the_artefact_when_run_then_it_sees_only_the_lambda_layout_read_only(dist, setup, tmp_path):
    """GIVEN a code zip whose handler reports its sys.path and tries to write /var/task and /opt WHEN run
    THEN sys.path is Lambda's (/var/task, /opt/python...) plus the standard library, nothing of the
    checkout, and both writes are refused (read-only)."""
    code = tmp_path / "probe.zip"
    with zipfile.ZipFile(code, "w") as zf:
        zf.writestr("probe.py", "import sys\n"
                    "def handler(event, context):\n"
                    "    refused = []\n"
                    "    for path in ('/var/task/x', '/opt/x'):\n"
                    "        try:\n"
                    "            open(path, 'w').close()\n"
                    "        except OSError as exc:\n"
                    "            refused.append(exc.errno)\n"
                    "    return {'path': sys.path, 'refused': refused}\n")
    spec = lr.FunctionSpec(name="probe", arn="arn:aws:lambda:us-east-1:123456789012:function:probe",
                           handler="probe.handler", timeout=30, memory=128, environment={},
                           code_zip=code.read_bytes(),
                           layers=(("layer", (dist / "orchestrator-layer.zip").read_bytes()),))
    outcome = lr.run(spec, {}, setup)
    assert outcome.outcome == "ok"
    assert outcome.payload["path"][:3] == ["/var/task", "/opt/python/lib/python3.12/site-packages", "/opt/python"]
    assert not any(str(REPO) in p or "site-packages" in p for p in outcome.payload["path"][3:])
    assert outcome.payload["refused"] == [30, 30]  # EROFS
