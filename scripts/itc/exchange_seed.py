"""The synthetic Exchange tables of the local stack: filled from the generator (``itc demo``) and filled
again after a restart of the stack's moto, which keeps no state (``itc stack up``, ``itc run``).

What was seeded is recorded (:class:`scripts.stack.local_stack.SourceSeed`) so :func:`restore_sources` can
fill the tables again with the same items; with no record it says, in one line, what to run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Any

from scripts.itc.errors import ItcError, MissingPieceError
from scripts.stack import local_stack

START_MONTH = "2026-08"
MONTHS = 3


@dataclass(frozen=True)
class SeededExchange:
    """What the demo put in the Exchange tables, and what the invoices must therefore say."""

    written: dict[str, int]                        # items per snapshot table
    expected_uploaded: dict[tuple[str, str], int]  # (month, firm) -> billable uploads
    expected_archived: dict[tuple[str, str], int]  # (month, firm) -> billable archives


def exchange_config(demands: int, seed: int) -> Any:
    from scripts.synthetic.exchange import ExchangeConfig

    year, month = (int(p) for p in START_MONTH.split("-"))
    return ExchangeConfig(demands=demands, seed=seed, months=MONTHS, first_month=date(year, month, 1))


def seed_exchange(demands: int, seed: int) -> SeededExchange:
    """Rebuild the ``exchange-{ITC_EXCHANGE_ENV}-*`` tables in the emulator from the synthetic generator."""
    import boto3

    try:
        from scripts.synthetic import exchange as synthetic_exchange
    except ModuleNotFoundError as exc:
        if exc.name == "scripts.synthetic.exchange":
            raise MissingPieceError("the synthetic Exchange generator (scripts/synthetic/exchange.py) is not in "
                                    "this checkout: the demo cannot seed demands") from None
        raise
    env = os.environ["ITC_EXCHANGE_ENV"]
    dynamodb = boto3.client("dynamodb")
    prefix = f"exchange-{env}-"
    for name in dynamodb.list_tables().get("TableNames", []):  # a re-run starts from the seed again
        if name.startswith(prefix):
            dynamodb.delete_table(TableName=name)
    config = exchange_config(demands, seed)
    written = synthetic_exchange.fill_dynamodb(config, dynamodb, env=env)
    expected = synthetic_exchange.expected_counts(config)
    return SeededExchange(
        written=dict(written),
        expected_uploaded={k: v.uploaded for k, v in expected.items() if v.uploaded},
        expected_archived={k: v.archived for k, v in expected.items() if v.archived},
    )


def restore_sources(state: local_stack.StackState) -> str | None:
    """The local stack's Exchange tables, when its moto lost them (a restart): filled again from the
    recorded seed; returns what was done (None when nothing was missing). With no record, a one-line
    error says what to run. The landing bucket and manifest key come back with `itc stack up`."""
    import boto3

    moto = state.services.get("moto")
    if moto is None:
        return None
    local_stack.ensure_local_keys(moto.url)
    local_stack.ensure_local_bucket(moto.url)
    dynamodb = boto3.client("dynamodb", endpoint_url=moto.url, region_name=local_stack.LOCAL_REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")  # noqa: S106 - moto's
    prefix = f"exchange-{local_stack.LOCAL_EXCHANGE_ENV}-"
    if any(name.startswith(prefix) for name in dynamodb.list_tables().get("TableNames", [])):
        return None
    recorded = local_stack.SourceSeed.load()
    if recorded is None:
        raise ItcError("the local stack's Exchange tables are empty (moto keeps no state across a restart): "
                       "run `itc demo` to seed them")
    environment = local_stack.stack_env(state)
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    try:
        seed_exchange(recorded.demands, recorded.seed)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return (f"the local stack's Exchange tables were empty (moto restarted): refilled with the demo's "
            f"{recorded.demands:,} demands (seed {recorded.seed})")
