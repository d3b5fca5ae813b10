"""What `make rehearse` prints after the day (scripts/build/rehearse.py): one row per invocation and each way
the environment the artefacts ran in differs from the applied one."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

from scripts.build import lambda_rehearsal as lr
from scripts.build import tf_apply_local as tal
from scripts.build.standin_ca import STANDIN_CA_NAME

WORK = tal.REPO / ".local" / "rehearse"


def table(outcomes: list[dict[str, Any]], applied: dict[str, dict[str, Any]]) -> str:
    """The rehearsal's table: one row per invocation; "env read" counts the applied variables the handler's
    process read (names not read are listed); the names read follow the table, once per function."""
    header = (f"{'function':<28} {'when':<6} {'mode':<13} {'artefact sha256':<15} {'env read':<9} {'outcome':<7} "
              f"{'seconds':>7}")
    rows = [header, "-" * len(header)]
    read_by: dict[str, set[str]] = {}
    for o in outcomes:
        env = applied.get(o["function"], {}).get("Environment", {}).get("Variables", {})
        read = [k for k in o["env_read"] if k in env]
        read_by.setdefault(o["function"], set()).update(read)
        unread = [k for k in env if k not in o["env_read"]]
        mode = "/".join(p for p in (o.get("mode"), o.get("step")) if p)
        outcome = "ok" if o["outcome"] == "ok" else "FAILED"
        rows.append(f"{o['function']:<28} {o.get('phase', ''):<6} {mode:<13} {o['sha256'][:12]:<15} "
                    f"{f'{len(read)}/{len(env)}':<9} {outcome:<7} {o['seconds']:>7.1f}")
        if unread and outcome == "ok":
            rows.append(f"    not read: {' '.join(unread)}")
        if outcome != "ok":
            rows.append("    cause: " + o["outcome"][:300])
    for function, names in sorted(read_by.items()):
        rows.append(textwrap.fill(f"{function} read: {' '.join(sorted(names))}", 120, subsequent_indent="    "))
    return "\n".join(rows)


def setup_for_print(endpoint: str, pg_port: int, rds_name: str) -> lr.Setup:
    config = WORK / "setup.json"
    return lr.Setup.from_json(config.read_text()) if config.exists() else lr.Setup(workdir=WORK, python=Path())


def print_differences(applied: dict[str, dict[str, Any]], setup: lr.Setup, rds_name: str, master: str) -> None:
    """Each way the environment the functions ran in differs from the applied one."""
    print("rehearse: differences between the applied environment and the one the artefacts ran in:")
    functions_by_line: dict[str, list[str]] = {}
    for name, conf in sorted(applied.items()):
        spec = lr.FunctionSpec(name=name, arn=conf["FunctionArn"], handler=conf["Handler"], timeout=conf["Timeout"],
                               memory=conf["MemorySize"], environment=conf.get("Environment", {}).get("Variables", {}),
                               code_zip=b"", layers=())
        for line in lr.differences(spec, setup):
            functions_by_line.setdefault(line, []).append(name.removeprefix("itc-beta-"))
    for line, names in functions_by_line.items():
        where = "every function" if len(names) == len(applied) else ", ".join(names)
        print(f"  {line} ({where})")
    arch = sorted({a for c in applied.values() for a in c.get("Architectures", [])})
    notes = [
        f"hosts: {', '.join(f'{n} -> {a}' for n, a in setup.hosts.items())} (a private /etc/hosts per run)",
        f"architecture: the functions are applied as {'/'.join(arch) or '?'}; this machine is {os.uname().machine}, "
        "so the rehearsal builds the same locked layers for it (python3.12 wheels) and applies those",
        f"TLS: the RDS and Quickbase certificates are issued by '{STANDIN_CA_NAME}', shipped in the rehearsal "
        "build's layer at /opt/python/rds-ca/global-bundle.pem (a deployment build ships Amazon's bundle)",
        "IAM database authentication: the tokens are generated as on AWS but not checked: "
        "pg_hba 'hostssl itc <login> 127.0.0.1/32 trust' for the IAM logins only",
        f"master login {master}: a superuser here (rds_superuser on RDS); its password is set from the "
        "RDS-managed secret before the migrate function runs, as RDS does (moto writes that secret with the "
        f"user name 'admin': the rehearsal corrects it to {master}, as RDS writes it)",
        "IAM policies: each function runs with STS credentials of its own role, but this moto does not "
        "evaluate IAM policies (its IAM enforcement would also refuse Step Functions' own calls)",
        "S3 bucket policies: not evaluated by the rehearsal's moto (moto denies on a Deny statement whose "
        "condition is not met); the landing bucket's policy is checked by the plan tests",
        "events: moto delivers no S3 -> EventBridge -> Step Functions event; the rehearsal starts the load "
        "state machine with the Object Created event the rule would send, once per manifest",
        "runtime: python3.12 from pyenv with only the standard library (Lambda's runtime also carries "
        "boto3; the layers ship their own)",
    ]
    for note in notes:
        print(f"  {note}")
