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
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.build import lambda_rehearsal as lr
from scripts.build import tf_apply_local as tal
from scripts.build.rehearse_report import print_differences, setup_for_print, table
from scripts.build.rehearse_standins import QB_API_HOST, RehearsalFailed, Warehouse, start_quickbase
from scripts.build.standin_ca import make_standin_ca

REPO = tal.REPO
WORK = REPO / ".local" / "rehearse"
REGION = tal.REGION
DEMANDS, REQUESTS, SEED = 150, 100, 11
ENVIRONMENT = "beta"  # local-moto.tfvars
QB = {"realm": "itc-local.quickbase.com", "table_id": "bq7vrfy2x", "report_id": "12"}  # local-moto.tfvars


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


# ------------------------------------------------------------------------------------------ the day
def rds_endpoint(environment: str) -> str:
    """The warehouse's host name as moto forms an RDS endpoint (the stand-in certificate names it)."""
    return f"itc-{environment}-warehouse.aaaaaaaaaa.{REGION}.rds.amazonaws.com"


@dataclass
class Day:
    """The rehearsal's state, shared by its steps."""

    args: argparse.Namespace
    python: Path
    warehouse: Warehouse
    tls: Any
    moto_port: int
    pg_port: int
    endpoint: str
    environment: str = ENVIRONMENT
    master: str = "itc_admin"
    sim: Any = None
    moto: Any = None
    root: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    phases: list[tuple[int, str]] = field(default_factory=lambda: [(0, "apply")])
    record: Path = WORK / "runs" / "invocations.jsonl"

    @property
    def rds_name(self) -> str:
        return rds_endpoint(self.environment)

    def invocations_so_far(self) -> int:
        return len(self.record.read_text().splitlines()) if self.record.exists() else 0


def preflight() -> Path:
    """python3.12, the tools and root (the artefacts are mounted read-only at /var/task and /opt)."""
    python = lr.find_python()
    if python is None:
        raise RehearsalFailed("python3.12 (the Lambda runtime's minor version) is not on this machine")
    for tool in ("terraform", "openssl", "unshare"):
        if shutil.which(tool) is None:
            raise RehearsalFailed(f"{tool} is not on PATH")
    if os.geteuid() != 0:
        raise RehearsalFailed("the rehearsal mounts the artefacts read-only at /var/task and /opt: run it as root")
    return python


def build(ca: Path) -> Path:
    """1. the zips, with the stand-in CA at the layer's RDS CA path."""
    dist = WORK / "dist"
    built = subprocess.run([sys.executable, "scripts/build/package_lambdas.py", "--platform", "host",
                            "--python-version", "3.12", "--dist", str(dist), "--rds-ca-bundle", str(ca),
                            "--rehearsal-ca"],
                           cwd=REPO, capture_output=True, text=True, check=False)
    if built.returncode:
        raise RehearsalFailed(f"the build failed: {built.stderr.strip()[-800:]}")
    step(f"1 build: {dist.relative_to(REPO)} (python3.12 layers for this machine, the stand-in CA at "
         "/opt/python/rds-ca/global-bundle.pem)")
    return dist


def start_standins(day: Day, dataset: Any, token: str) -> int:
    """2. the warehouse, 3. Quickbase; the simulator's port."""
    day.warehouse.start(day.master)
    step(f"2 warehouse: PostgreSQL over TLS on 127.0.0.1:{day.pg_port}, certificate for {day.rds_name}")
    day.sim = start_quickbase(dataset, day.tls, token=token, **QB)
    qb_port = day.sim._server.server_address[1]
    step(f"3 quickbase: the simulator over TLS on 127.0.0.1:{qb_port}, certificate for {QB_API_HOST}, "
         f"{day.args.requests} requests")
    return qb_port


def apply(day: Day, dist: Path, qb_port: int) -> None:
    """4. apply terraform/itc-beta to moto (whose Lambda Invoke the artefacts answer); the IAM logins' hba."""
    setup = lr.Setup(
        workdir=WORK / "runs", python=day.python, region=REGION,
        added={"AWS_ENDPOINT_URL": day.endpoint, "REQUESTS_CA_BUNDLE": "/opt/python/rds-ca/global-bundle.pem"},
        changed={"ITC_DB_PORT": str(day.pg_port), "ITC_QB_BASE_URL": f"https://{QB_API_HOST}:{qb_port}"},
        hosts={day.rds_name: "127.0.0.1", QB_API_HOST: "127.0.0.1"},
        admin_dsn=day.warehouse.admin_dsn())
    config_path = WORK / "setup.json"
    config_path.write_text(setup.to_json())
    day.root = root = tal.prepare_root(REPO, day.endpoint, dist, name="rehearse-tf")
    day.env = env = tal.terraform_env(root / "terraformrc")
    (root / "terraformrc").write_text("disable_checkpoint = true\n")
    day.moto = tal.start_moto(day.moto_port, WORK / "moto.log", "--rehearsal", str(config_path))
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
    day.outputs = {k: v["value"] for k, v in json.loads(tal.terraform(root, env, "output", "-json", log=log)).items()}
    step(f"4 apply: terraform/itc-beta applied to moto on {day.endpoint} in {time.monotonic() - apply_started:.0f} s "
         "(the apply's migrate invocation ran the migrate function)")
    day.applied = applied = applied_functions(day.endpoint)
    hosts = {c["Environment"]["Variables"].get("ITC_DB_HOST") for c in applied.values()} - {None}
    if hosts != {day.rds_name}:
        raise RehearsalFailed(f"the applied functions' ITC_DB_HOST is {sorted(hosts)}, not {day.rds_name}: the "
                              "stand-in certificate names the wrong host")
    iam_logins = sorted({c["Environment"]["Variables"]["ITC_DB_USER"] for c in applied.values()
                         if c["Environment"]["Variables"].get("ITC_DB_IAM_AUTH") == "true"})
    day.warehouse.write_hba(day.master, iam_logins)


def seed_sources(day: Day, token: str, config: Any) -> None:
    """5. the Quickbase token into Terraform's secret; 6. the Exchange tables (in their account, through the
    role the extract assumes) and finance's price list."""
    import psycopg2

    from scripts.stack.demo_prices import seed_demo_prices
    from scripts.synthetic import exchange

    aws("secretsmanager", day.endpoint).put_secret_value(SecretId=day.outputs["qb_token_secret_arn"],
                                                         SecretString=token)
    step("5 token: the Quickbase user token put into the secret Terraform created")
    exchange_role = next(c["Environment"]["Variables"]["ITC_EXCHANGE_ROLE_ARN"] for c in day.applied.values()
                         if "ITC_EXCHANGE_ROLE_ARN" in c["Environment"]["Variables"])
    dynamodb = aws("dynamodb", day.endpoint, assumed(day.endpoint, exchange_role, "exchange-team"))
    written = exchange.fill_dynamodb(config, dynamodb, env=day.environment)
    conn = psycopg2.connect(day.warehouse.admin_dsn())
    with conn, conn.cursor() as cur:
        priced = seed_demo_prices(cur)
    conn.close()
    step(f"6 sources: {day.args.demands} demands in the Exchange account's tables "
         f"({', '.join(f'{k} {v}' for k, v in written.items())}); {priced} demo prices")


def run_days(day: Day) -> None:
    """7. ingest, 8. load: the first day on the fresh warehouse, then a day."""
    from scripts.itc import jobs

    machines = day.outputs["state_machine_arns"]
    s3 = aws("s3", day.endpoint)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    for n in (1, 2):
        day.phases.append((day.invocations_so_far(), f"day {n}"))
        run_id = f"rehearsal-{stamp}-day{n}"
        ingest = execute(day.endpoint, machines["ingest"], run_id, {"run_id": run_id}, day.args.timeout)
        step(f"7 ingest, day {n}: {ingest['status']}")
        if ingest["status"] != "SUCCEEDED":
            day.failures.append(f"day {n}: ingest {ingest['status']}: {failed_step(day.endpoint, ingest)}")
        manifests = [m for m in jobs.list_manifests(s3, day.outputs["landing_bucket_name"])
                     if f"run={run_id}/" in m.key]
        if len(manifests) != 2:
            day.failures.append(f"day {n}: ingest landed {len(manifests)} manifests for {run_id}, not 2")
        for manifest in manifests:
            load = execute(day.endpoint, machines["load"], f"{run_id}-{manifest.source}",
                           jobs.object_created_event(manifest), day.args.timeout)
            cause = "" if load["status"] == "SUCCEEDED" else failed_step(day.endpoint, load)
            step(f"8 load {manifest.source}, day {n}: {load['status']}")
            if load["status"] != "SUCCEEDED":
                day.failures.append(f"day {n}: load {manifest.source} {load['status']}: {cause}")
    day.phases.append((day.invocations_so_far(), "after"))


def check_invoices(day: Day, expected: Counter[tuple[str, str, str]]) -> None:
    """9. `itc invoice` for each month of the answer key, over TLS verify-full: its lines equal the key."""
    reports = WORK / "reports"
    shown: Counter[tuple[str, str, str]] = Counter()
    dsn = (f"postgresql://postgres@{day.rds_name}:{day.pg_port}/itc?hostaddr=127.0.0.1&sslmode=verify-full"
           f"&sslrootcert={day.tls.ca_cert}")
    itc_env = {k: v for k, v in os.environ.items() if not k.startswith(("ITC_", "AWS_"))}
    itc_env.update(ITC_DATABASE_URL=dsn, ITC_ADMIN_DATABASE_URL=dsn)
    for month in sorted({m for m, _f, _p in expected}):
        result = subprocess.run([sys.executable, "-m", "scripts.itc", "invoice", "--month", month,
                                 "--output-dir", str(reports)], cwd=REPO, env=itc_env,
                                capture_output=True, text=True, check=False)
        if result.returncode:
            day.failures.append(f"itc invoice --month {month} failed: {result.stderr.strip()[-400:]}")
            continue
        shown += invoice_lines(reports / f"invoice-{month}.csv")
    if day.failures:
        return
    if shown != expected:
        missing, extra = expected - shown, shown - expected
        day.failures.append(f"the invoices differ from the answer key: missing {dict(missing)}, extra {dict(extra)}")
        return
    step(f"9 invoice: itc invoice for {len({m for m, _f, _p in expected})} months: {sum(shown.values())} units in "
         f"{len(shown)} (month, firm, product) lines, equal to the answer key")


def tear_down(day: Day) -> None:
    """10. empty the buckets, destroy and check nothing is left; stop the stand-ins (unless --keep)."""
    keep = day.args.keep
    if day.moto is not None and day.root is not None and not keep:
        try:
            emptied = tal.empty_buckets(day.endpoint)
            tal.terraform(day.root, day.env, "destroy", "-auto-approve", "-input=false",
                          log=day.root / "terraform.log")
            left = [a for a in tal.terraform(day.root, day.env, "state", "list", log=day.root / "terraform.log").split()
                    if not tal.is_data_source(a)]
            step(f"10 destroy: emptied the buckets ({emptied} object versions), destroyed; "
                 f"{'nothing left' if not left else f'{len(left)} resources LEFT'}")
            if left:
                day.failures.append(f"destroy left {len(left)} resources: {', '.join(left[:10])}")
        except tal.ApplyError as exc:
            day.failures.append(f"destroy: {exc}")
    if day.moto is not None and not keep:
        day.moto.terminate()
        try:
            day.moto.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a loaded machine: the run's outcome stands, the server goes
            day.moto.kill()
            day.moto.wait()
    if day.sim is not None:
        day.sim.stop()
    if not keep:
        day.warehouse.stop()


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    python = preflight()
    if WORK.exists():
        shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    config, dataset, expected = answer_key(args.demands, args.requests, args.seed)
    from scripts.stack import local_pg

    moto_port, pg_port = args.moto_port or tal.free_port(), args.pg_port or tal.free_port()
    rds_name = rds_endpoint(ENVIRONMENT)
    tls = make_standin_ca(WORK / "standin-ca", [rds_name, QB_API_HOST])
    dist = build(tls.ca_cert)
    day = Day(args=args, python=python, tls=tls, moto_port=moto_port, pg_port=pg_port,
              endpoint=f"http://{tal.HOST}:{moto_port}",
              warehouse=Warehouse(local_pg.base_dir() / "rehearse", pg_port, rds_name, tls))
    outcomes: list[dict[str, Any]] = []
    try:
        token = os.urandom(16).hex()
        apply(day, dist, start_standins(day, dataset, token))
        seed_sources(day, token, config)
        run_days(day)
        if not day.failures:
            check_invoices(day, expected)
    except (RehearsalFailed, tal.ApplyError) as exc:
        day.failures.append(str(exc))
    finally:
        if day.record.exists():
            outcomes = [json.loads(line) for line in day.record.read_text().splitlines() if line.strip()]
        tear_down(day)
    return report(day, outcomes, started)


def report(day: Day, outcomes: list[dict[str, Any]], started: float) -> int:
    """The differences, the table, the outcome; exit 1 naming every failure."""
    failures = day.failures
    for index, o in enumerate(outcomes):
        o["phase"] = [label for start, label in day.phases if start <= index][-1]
        if o["outcome"] != "ok":
            failures.append(f"{o['function']} ({o['phase']}, {o.get('mode')}): {o['outcome'][:600]}")
    print_differences(day.applied, setup_for_print(day.endpoint, day.pg_port, day.rds_name), day.rds_name, day.master)
    print(table(outcomes, day.applied))
    total = time.monotonic() - started
    if failures:
        print("rehearse: FAILED:\n  " + "\n  ".join(dict.fromkeys(failures)), file=sys.stderr)
        print(f"rehearse: total {total:.0f} s")
        return 1
    print(f"rehearse: OK in {total:.0f} s: the applied state machines ran the applied artefacts through a day, "
          "and the invoices equal the answer key")
    return 0


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
