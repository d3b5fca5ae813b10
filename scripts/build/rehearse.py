"""`make rehearse`: a day of the deployed form, on this machine (python -m scripts.build.rehearse).

terraform/itc-beta is applied to a moto server as `make tf-apply-local` applies it, then one daily cycle
runs through the APPLIED state machines, each Lambda task answered by the applied artefact itself
(scripts/build/lambda_rehearsal.py: code zip and layers as moto stores them, read-only at /var/task and
/opt, python3.12, the applied handler, timeout and environment, the role's own credentials), then
`itc invoice`, whose lines must equal the synthetic generators' answer key. The steps, in the order of
terraform/itc-beta/README.md:

 1. build  the zips (package_lambdas.py) with a generated stand-in CA at the layer's RDS CA path;
 2. the warehouse stand-in: PostgreSQL over TLS only, its certificate for the RDS name, by that CA;
 3. the Quickbase stand-in: the simulator over TLS, its certificate for the API host, by that CA;
 4. apply terraform/itc-beta to moto (local-moto.tfvars); the apply's migrate invocation runs the
    migrate function against the warehouse (the master password set from the RDS-managed secret);
 5. put the Quickbase user token into the secret Terraform created (README step 6.3);
 6. the Exchange team's tables (in their account, reached through the role the extract assumes) and
    finance's price list: the synthetic generator and the demo prices;
 7. ingest: the ingest state machine (both extracts);
 8. load: the load state machine once per manifest, with the Object Created event (load, refresh, quality);
 9. `itc invoice` for each month of the answer key: its lines must equal the answer key;
10. empty the buckets, destroy, and check nothing is left.

What cannot be the same here is printed as a difference; then one table (function, artefact sha256,
environment variables read, outcome, seconds) and the total time. Exit 1 naming the cause when any step,
function or comparison fails.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

from scripts.build import lambda_rehearsal as lr
from scripts.build import tf_apply_local as tal
from scripts.build.rehearse_standins import QB_API_HOST, RehearsalFailed, Warehouse, start_quickbase
from scripts.build.standin_ca import STANDIN_CA_NAME, make_standin_ca

REPO = tal.REPO
WORK = REPO / ".local" / "rehearse"
REGION = tal.REGION
DEMANDS, REQUESTS, SEED = 150, 100, 11


def step(message: str) -> None:
    print(f"rehearse: {message}", flush=True)


def aws(service: str, endpoint: str, credentials: dict[str, str] | None = None) -> Any:
    import boto3

    creds = credentials or tal._boto_credentials()
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, **creds)


def assumed(endpoint: str, role_arn: str, session: str) -> dict[str, str]:
    creds = aws("sts", endpoint).assume_role(RoleArn=role_arn, RoleSessionName=session)["Credentials"]
    return {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"]}


def applied_functions(endpoint: str) -> dict[str, dict[str, Any]]:
    lam = aws("lambda", endpoint)
    return {f["FunctionName"]: lam.get_function_configuration(FunctionName=f["FunctionName"])
            for page in lam.get_paginator("list_functions").paginate() for f in page["Functions"]}


def execute(endpoint: str, machine_arn: str, name: str, payload: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """Start an execution of an applied state machine and wait for its end."""
    sfn = aws("stepfunctions", endpoint)
    arn = sfn.start_execution(stateMachineArn=machine_arn, name=name, input=json.dumps(payload))["executionArn"]
    deadline = time.monotonic() + timeout_s
    while True:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        if time.monotonic() > deadline:
            raise RehearsalFailed(f"execution {name} still RUNNING after {timeout_s:.0f} s")
        time.sleep(1)


def failed_step(endpoint: str, execution: dict[str, Any]) -> str:
    """The first failed task of an execution, with its error (for the failure message)."""
    sfn = aws("stepfunctions", endpoint)
    events = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)["events"]
    for event in events:
        for key in ("lambdaFunctionFailedEventDetails", "taskFailedEventDetails", "executionFailedEventDetails"):
            if key in event:
                details = event[key]
                return f"{details.get('error')}: {str(details.get('cause', ''))[:600]}"
    return execution.get("error") or execution["status"]


# ------------------------------------------------------------------------------------------ answer key
def answer_key(demands: int, requests: int, seed: int) -> tuple[Any, Any, Counter[tuple[str, str, str]]]:
    """The Exchange config, the Verify+ dataset and the billable units per (month, firm, product)."""
    from scripts.itc import demo
    from scripts.synthetic import exchange
    from scripts.synthetic.verifyplus import SyntheticConfig, VerifyPlusDataset

    config = demo.exchange_config(demands, seed)
    dataset = VerifyPlusDataset(SyntheticConfig(records=requests, seed=seed, start_month=demo.START_MONTH,
                                                months=demo.MONTHS))
    expected: Counter[tuple[str, str, str]] = Counter()
    for (month, firm), counts in exchange.expected_counts(config).items():
        expected[(month, firm, "demand_uploaded")] += counts.uploaded
        expected[(month, firm, "demand_archived")] += counts.archived
    for truth in dataset.truths():
        if truth.reject_reason is None and not truth.duplicate and not truth.excluded:
            expected[(truth.month, truth.firm.rstrip(), "verifyplus_request")] += 1
    return config, dataset, +expected


def invoice_lines(csv_path: Path) -> Counter[tuple[str, str, str]]:
    with csv_path.open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["line_type"] in ("usage", "adjustment", "price_adjustment")]
    return +Counter({(r["service_month"], r["firm_name"], r["product"]): int(r["quantity"]) for r in rows})


# ------------------------------------------------------------------------------------------ report
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


# ------------------------------------------------------------------------------------------ the day
def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    python = lr.find_python()
    if python is None:
        raise RehearsalFailed("python3.12 (the Lambda runtime's minor version) is not on this machine")
    for tool in ("terraform", "openssl", "unshare"):
        if shutil.which(tool) is None:
            raise RehearsalFailed(f"{tool} is not on PATH")
    if os.geteuid() != 0:
        raise RehearsalFailed("the rehearsal mounts the artefacts read-only at /var/task and /opt: run it as root")
    if WORK.exists():
        shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    moto_port = args.moto_port or tal.free_port()
    pg_port = args.pg_port or tal.free_port()
    endpoint = f"http://{tal.HOST}:{moto_port}"
    environment = "beta"  # local-moto.tfvars
    rds_name = f"itc-{environment}-warehouse.aaaaaaaaaa.{REGION}.rds.amazonaws.com"  # moto's RDS endpoint form
    qb = {"realm": "itc-local.quickbase.com", "table_id": "bq7vrfy2x", "report_id": "12"}  # local-moto.tfvars
    config, dataset, expected = answer_key(args.demands, args.requests, args.seed)

    # 1. build
    tls = make_standin_ca(WORK / "standin-ca", [rds_name, QB_API_HOST])
    ca = tls.ca_cert
    dist = WORK / "dist"
    build = subprocess.run([sys.executable, "scripts/build/package_lambdas.py", "--platform", "host",
                            "--python-version", "3.12", "--dist", str(dist), "--rds-ca-bundle", str(ca),
                            "--rehearsal-ca"],
                           cwd=REPO, capture_output=True, text=True, check=False)
    if build.returncode:
        raise RehearsalFailed(f"the build failed: {build.stderr.strip()[-800:]}")
    step(f"1 build: {dist.relative_to(REPO)} (python3.12 layers for this machine, the stand-in CA at "
         "/opt/python/rds-ca/global-bundle.pem)")

    # 2. warehouse, 3. quickbase
    from scripts.stack import local_pg

    warehouse = Warehouse(local_pg.base_dir() / "rehearse", pg_port, rds_name, tls)
    master = "itc_admin"
    sim = None
    moto = None
    root = None
    env: dict[str, str] = {}
    outcomes: list[dict[str, Any]] = []
    applied: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    phases: list[tuple[int, str]] = [(0, "apply")]
    record = WORK / "runs" / "invocations.jsonl"

    def invocations_so_far() -> int:
        return len(record.read_text().splitlines()) if record.exists() else 0

    try:
        warehouse.start(master)
        step(f"2 warehouse: PostgreSQL over TLS on 127.0.0.1:{pg_port}, certificate for {rds_name}")
        token = os.urandom(16).hex()
        sim = start_quickbase(dataset, tls, token=token, **qb)
        qb_port = sim._server.server_address[1]
        step(f"3 quickbase: the simulator over TLS on 127.0.0.1:{qb_port}, certificate for {QB_API_HOST}, "
             f"{args.requests} requests")

        # 4. apply (the rehearsal's moto answers Invoke with the artefacts)
        setup = lr.Setup(
            workdir=WORK / "runs", python=python, region=REGION,
            added={"AWS_ENDPOINT_URL": endpoint, "REQUESTS_CA_BUNDLE": "/opt/python/rds-ca/global-bundle.pem"},
            changed={"ITC_DB_PORT": str(pg_port), "ITC_QB_BASE_URL": f"https://{QB_API_HOST}:{qb_port}"},
            hosts={rds_name: "127.0.0.1", QB_API_HOST: "127.0.0.1"},
            admin_dsn=warehouse.admin_dsn())
        config_path = WORK / "setup.json"
        config_path.write_text(setup.to_json())
        root = tal.prepare_root(REPO, endpoint, dist, name="rehearse-tf")
        env = tal.terraform_env(root / "terraformrc")
        (root / "terraformrc").write_text("disable_checkpoint = true\n")
        moto = tal.start_moto(moto_port, WORK / "moto.log", "--rehearsal", str(config_path))
        init_args = ["init", "-input=false", "-backend=false", "-lockfile=readonly"]  # as tf_apply_local
        if os.environ.get("TF_CHECK_ONLINE") != "1":
            mirror = tal.plugin_dir()
            if mirror is None:
                raise RehearsalFailed("no hashicorp/aws provider mirror found: set TF_PLUGIN_DIR")
            init_args.append(f"-plugin-dir={mirror}")
        log = root / "terraform.log"
        tal.terraform(root, env, *init_args, log=log)
        apply_started = time.monotonic()
        tal.terraform(root, env, "apply", "-auto-approve", "-input=false", log=log)
        outputs = {k: v["value"] for k, v in json.loads(tal.terraform(root, env, "output", "-json", log=log)).items()}
        step(f"4 apply: terraform/itc-beta applied to moto on {endpoint} in {time.monotonic() - apply_started:.0f} s "
             "(the apply's migrate invocation ran the migrate function)")
        applied = applied_functions(endpoint)
        hosts = {c["Environment"]["Variables"].get("ITC_DB_HOST") for c in applied.values()} - {None}
        if hosts != {rds_name}:
            raise RehearsalFailed(f"the applied functions' ITC_DB_HOST is {sorted(hosts)}, not {rds_name}: the "
                                  "stand-in certificate names the wrong host")
        iam_logins = sorted({c["Environment"]["Variables"]["ITC_DB_USER"] for c in applied.values()
                             if c["Environment"]["Variables"].get("ITC_DB_IAM_AUTH") == "true"})
        warehouse.write_hba(master, iam_logins)

        # 5. the token
        aws("secretsmanager", endpoint).put_secret_value(SecretId=outputs["qb_token_secret_arn"], SecretString=token)
        step("5 token: the Quickbase user token put into the secret Terraform created")

        # 6. the Exchange tables and the price list
        from scripts.stack.demo_prices import seed_demo_prices
        from scripts.synthetic import exchange

        exchange_role = next(c["Environment"]["Variables"]["ITC_EXCHANGE_ROLE_ARN"] for c in applied.values()
                             if "ITC_EXCHANGE_ROLE_ARN" in c["Environment"]["Variables"])
        dynamodb = aws("dynamodb", endpoint, assumed(endpoint, exchange_role, "exchange-team"))
        written = exchange.fill_dynamodb(config, dynamodb, env=environment)
        import psycopg2

        conn = psycopg2.connect(warehouse.admin_dsn())
        with conn, conn.cursor() as cur:
            priced = seed_demo_prices(cur)
        conn.close()
        step(f"6 sources: {args.demands} demands in the Exchange account's tables "
             f"({', '.join(f'{k} {v}' for k, v in written.items())}); {priced} demo prices")

        # 7. ingest, 8. load: the first day on the fresh warehouse, then a day
        from scripts.itc import jobs

        machines = outputs["state_machine_arns"]
        s3 = aws("s3", endpoint)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        for day in (1, 2):
            phases.append((invocations_so_far(), f"day {day}"))
            run_id = f"rehearsal-{stamp}-day{day}"
            ingest = execute(endpoint, machines["ingest"], run_id, {"run_id": run_id}, args.timeout)
            step(f"7 ingest, day {day}: {ingest['status']}")
            if ingest["status"] != "SUCCEEDED":
                failures.append(f"day {day}: ingest {ingest['status']}: {failed_step(endpoint, ingest)}")
            manifests = [m for m in jobs.list_manifests(s3, outputs["landing_bucket_name"])
                         if f"run={run_id}/" in m.key]
            if len(manifests) != 2:
                failures.append(f"day {day}: ingest landed {len(manifests)} manifests for {run_id}, not 2")
            for manifest in manifests:
                load = execute(endpoint, machines["load"], f"{run_id}-{manifest.source}",
                               jobs.object_created_event(manifest), args.timeout)
                cause = "" if load["status"] == "SUCCEEDED" else failed_step(endpoint, load)
                step(f"8 load {manifest.source}, day {day}: {load['status']}")
                if load["status"] != "SUCCEEDED":
                    failures.append(f"day {day}: load {manifest.source} {load['status']}: {cause}")
        phases.append((invocations_so_far(), "after"))

        # 9. itc invoice
        if not failures:
            reports = WORK / "reports"
            shown: Counter[tuple[str, str, str]] = Counter()
            dsn = (f"postgresql://postgres@{rds_name}:{pg_port}/itc?hostaddr=127.0.0.1&sslmode=verify-full"
                   f"&sslrootcert={ca}")
            itc_env = {k: v for k, v in os.environ.items() if not k.startswith(("ITC_", "AWS_"))}
            itc_env.update(ITC_DATABASE_URL=dsn, ITC_ADMIN_DATABASE_URL=dsn)
            for month in sorted({m for m, _f, _p in expected}):
                result = subprocess.run([sys.executable, "-m", "scripts.itc", "invoice", "--month", month,
                                         "--output-dir", str(reports)], cwd=REPO, env=itc_env,
                                        capture_output=True, text=True, check=False)
                if result.returncode:
                    failures.append(f"itc invoice --month {month} failed: {result.stderr.strip()[-400:]}")
                    continue
                shown += invoice_lines(reports / f"invoice-{month}.csv")
            if not failures:
                if shown != expected:
                    missing, extra = expected - shown, shown - expected
                    failures.append(f"the invoices differ from the answer key: missing {dict(missing)}, "
                                    f"extra {dict(extra)}")
                else:
                    step(f"9 invoice: itc invoice for {len({m for m, _f, _p in expected})} months: "
                         f"{sum(shown.values())} units in {len(shown)} (month, firm, product) lines, "
                         "equal to the answer key")
    except (RehearsalFailed, tal.ApplyError) as exc:
        failures.append(str(exc))
    finally:
        if record.exists():
            outcomes = [json.loads(line) for line in record.read_text().splitlines() if line.strip()]
        if moto is not None and root is not None and not args.keep:
            try:
                emptied = tal.empty_buckets(endpoint)
                tal.terraform(root, env, "destroy", "-auto-approve", "-input=false", log=root / "terraform.log")
                left = [a for a in tal.terraform(root, env, "state", "list", log=root / "terraform.log").split()
                        if not tal.is_data_source(a)]
                step(f"10 destroy: emptied the buckets ({emptied} object versions), destroyed; "
                     f"{'nothing left' if not left else f'{len(left)} resources LEFT'}")
                if left:
                    failures.append(f"destroy left {len(left)} resources: {', '.join(left[:10])}")
            except tal.ApplyError as exc:
                failures.append(f"destroy: {exc}")
        if moto is not None and not args.keep:
            moto.terminate()
            try:
                moto.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a loaded machine: the run's outcome stands, the server goes
                moto.kill()
                moto.wait()
        if sim is not None:
            sim.stop()
        if not args.keep:
            warehouse.stop()

    for index, o in enumerate(outcomes):
        o["phase"] = [label for start, label in phases if start <= index][-1]
        if o["outcome"] != "ok":
            failures.append(f"{o['function']} ({o['phase']}, {o.get('mode')}): {o['outcome'][:600]}")
    print_differences(applied, setup_for_print(endpoint, pg_port, rds_name), rds_name, master)
    print(table(outcomes, applied))
    total = time.monotonic() - started
    if failures:
        print("rehearse: FAILED:\n  " + "\n  ".join(dict.fromkeys(failures)), file=sys.stderr)
        print(f"rehearse: total {total:.0f} s")
        return 1
    print(f"rehearse: OK in {total:.0f} s: the applied state machines ran the applied artefacts through a day, "
          "and the invoices equal the answer key")
    return 0


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demands", type=int, default=DEMANDS)
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--timeout", type=float, default=900, help="seconds an execution may run")
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("ITC_REHEARSAL_MOTO_PORT") or 0),
                        help="the rehearsal's own moto (default ITC_REHEARSAL_MOTO_PORT, else a free port)")
    parser.add_argument("--pg-port", type=int, default=int(os.environ.get("ITC_REHEARSAL_PG_PORT") or 0),
                        help="the warehouse stand-in (default ITC_REHEARSAL_PG_PORT, else a free port)")
    parser.add_argument("--keep", action="store_true", help="leave moto, the warehouse and the state for you")
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (RehearsalFailed, tal.ApplyError) as exc:
        print(f"rehearse: FAILED: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
