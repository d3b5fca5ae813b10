"""Each Lambda's poetry.lock, its exported requirements.lock.txt and the shared package agree.

`python scripts/build/lock_dependencies.py --check` does the full check with Poetry; this test needs
no Poetry and no network, so it runs everywhere `make test` runs.
"""

from __future__ import annotations

import re
import tomllib

import pytest

from scripts.build import package_lambdas

LAMBDAS = list(package_lambdas.lambdas())

REPO = package_lambdas.REPO
COMMON_PYPROJECT = REPO / "common" / "itc_common_utilities" / "pyproject.toml"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(spec: str) -> str:
    return _norm(re.split(r"[\s(<>=!~;\[]", spec.strip(), maxsplit=1)[0])


def _lock(name: str) -> dict:
    return tomllib.loads((package_lambdas.lambdas()[name].package_dir / "poetry.lock").read_text())


def _exported(name: str) -> dict[str, tuple[str, set[str]]]:
    text = package_lambdas.lambdas()[name].requirements.read_text()
    out: dict[str, tuple[str, set[str]]] = {}
    for entry in text.replace("\\\n", " ").splitlines():
        if not entry.strip() or entry.startswith("#"):
            continue
        pin = entry.split()[0]
        pkg, version = pin.split("==")
        out[_norm(pkg)] = (version, set(re.findall(r"--hash=(\S+)", entry)))
    return out


@pytest.mark.parametrize("name", LAMBDAS)
def test_export_pins_the_locked_packages_with_hashes(name: str) -> None:
    """GIVEN a Lambda's lock WHEN exported THEN the export pins exactly its third-party packages with their
    hashes."""
    lock = _lock(name)
    locked = {
        _norm(p["name"]): (p["version"], {f["hash"] for f in p["files"]})
        for p in lock["package"]
        if p.get("source", {}).get("type") != "directory"
    }

    exported = _exported(name)

    assert set(exported) == set(locked)
    for pkg, (version, hashes) in exported.items():
        assert version == locked[pkg][0], pkg
        assert hashes and hashes <= locked[pkg][1], pkg


@pytest.mark.parametrize("name", LAMBDAS)
def test_lock_resolved_from_the_shared_package_dependencies(name: str) -> None:
    """GIVEN the shared package's declared dependencies WHEN a Lambda's lock is read THEN it was resolved
    from the same list."""
    declared = {_requirement_name(d) for d in tomllib.loads(COMMON_PYPROJECT.read_text())["project"]["dependencies"]}
    common = next(p for p in _lock(name)["package"] if _norm(p["name"]) == "itc-common-utilities")

    assert common["source"]["type"] == "directory"
    assert set(map(_norm, common.get("dependencies", {}))) == declared, (
        "common/itc_common_utilities/pyproject.toml changed: run "
        "`python scripts/build/lock_dependencies.py --no-update`"
    )


@pytest.mark.parametrize("name", LAMBDAS)
def test_given_any_lock_or_export_then_no_package_index_address_is_written_in_it(name: str) -> None:
    folder = package_lambdas.lambdas()[name].package_dir
    for path in (folder / "poetry.lock", folder / "requirements.lock.txt", folder / "pyproject.toml"):
        text = path.read_text()
        assert "://" not in text, path
        assert not re.search(r"^\s*(-i|--index-url|--extra-index-url|-f|--find-links)\b", text, re.M), path
