"""Shared helpers for the Terraform tests (no AWS access, no registry: everything offline)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = REPO / "terraform_modules"


def _plugin_dir() -> Path | None:
    """The local provider mirror root (<root>/<host>/hashicorp/aws/<v>/<os_arch>/binary)."""
    env = os.environ.get("TF_PLUGIN_DIR")
    if env:
        return Path(env)
    for base in (Path("/opt"), Path("/usr/share"), Path("/usr/local/share"), Path.home() / ".terraform.d"):
        if not base.is_dir():
            continue
        for binary in sorted(base.glob("**/hashicorp/aws/*/*/terraform-provider-aws_*")):
            return binary.parents[5]
    return None


@pytest.fixture(scope="session")
def terraform_cli() -> dict[str, str]:
    """Path of terraform and the provider mirror; skips (or fails under tf-check) when missing."""
    terraform = shutil.which("terraform")
    plugin_dir = _plugin_dir()
    missing = []
    if terraform is None:
        missing.append("terraform is not on PATH")
    if plugin_dir is None or not plugin_dir.is_dir():
        missing.append("no hashicorp/aws provider mirror (set TF_PLUGIN_DIR)")
    if missing:
        message = "; ".join(missing)
        if os.environ.get("ITC_REQUIRE_TERRAFORM") == "1":
            pytest.fail(message)
        pytest.skip(message + " (run `make tf-check` where Terraform is installed)")
    return {"terraform": terraform, "plugin_dir": str(plugin_dir)}


def run_terraform(cli: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1", TF_INPUT="0")
    return subprocess.run(
        [cli["terraform"], *args, "-no-color"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
