"""Read the whole Verify+ report from the Quickbase REST API v1, page by page, safely.

- The user token comes from Secrets Manager by ARN (:func:`resolve_token`; ``ITC_QB_TOKEN`` only for
  local runs). It lives in the session's ``Authorization`` header and nowhere else: never logged,
  never in an error message.
- Every call has a timeout and goes through :func:`itc_common_utilities.http.request_json`
  (tenacity: 429/5xx/timeouts/truncated bodies are retried, ``Retry-After`` is honoured).
- :meth:`QuickbaseReport.iter_records` reads **every** page until ``totalRecords`` (advancing
  ``skip`` by each page's ``numRecords``, so a server-side page cap is fine) and fails with
  :class:`TransientError` when the report changes under it: ``totalRecords`` differs between pages,
  a page holds fewer or more records than its ``numRecords``, a page is empty before the end, or a
  Request ID comes twice. A re-run later reads a consistent report.
- Field ids are realm-specific: ids are mapped to labels with ``GET /v1/fields``; records come out
  keyed by **label**. A report field the warehouse does not know (not in :mod:`fields`) is carried
  through and listed in :attr:`QuickbaseReport.unknown_labels`, never dropped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from botocore.exceptions import BotoCoreError, ClientError

from itc_common_utilities.errors import TerminalError, TransientError
from itc_common_utilities.http import HttpError, build_session, request_json
from itc_common_utilities.logger.logger_setup import setup_logger
from verifyplus_pipeline.fields import FIELD_BY_LABEL, KEY_LABEL
from verifyplus_pipeline.settings import ExtractSettings

logger = setup_logger("verifyplus_pipeline")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    backoff_s: float = 0.5
    max_wait_s: float = 60.0
    max_total_s: float = 300.0


@dataclass
class ReadStats:
    pages: int = 0
    records: int = 0
    total_records: int | None = None
    retries: int = 0
    fields: int = 0
    unknown_labels: list[str] = field(default_factory=list)
    missing_labels: list[str] = field(default_factory=list)


def resolve_token(settings: ExtractSettings, secrets_client: Any = None) -> str:
    """The Quickbase user token: from the secret (plain text or JSON ``{"token": ...}``), else ITC_QB_TOKEN."""
    if settings.qb_token_secret_arn:
        if secrets_client is None:
            raise TerminalError("reading ITC_QB_TOKEN_SECRET_ARN needs a Secrets Manager client")
        try:
            secret = secrets_client.get_secret_value(SecretId=settings.qb_token_secret_arn)["SecretString"]
        except (ClientError, BotoCoreError) as exc:  # name the secret, never its value
            code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
            code = code or type(exc).__name__
            raise TerminalError(f"cannot read the Quickbase token secret {settings.qb_token_secret_arn}: "
                                f"{code}") from None
        token = secret.strip()
        if token.startswith("{"):
            try:
                payload = json.loads(token)
            except ValueError:
                raise TerminalError("the Quickbase token secret is neither a token nor JSON") from None
            token = next((str(payload[k]) for k in ("token", "user_token", "userToken") if payload.get(k)), "")
        if not token:
            raise TerminalError(f"the Quickbase token secret {settings.qb_token_secret_arn} holds no token "
                                "(expected the token, or JSON with a 'token' key)")
        return token
    if settings.qb_token:
        return settings.qb_token
    raise TerminalError("no Quickbase token: set ITC_QB_TOKEN_SECRET_ARN")


def build_quickbase_session(settings: ExtractSettings, token: str) -> requests.Session:
    return build_session(settings.user_agent, {
        "QB-Realm-Hostname": settings.qb_realm,
        "Authorization": f"QB-USER-TOKEN {token}",
        "Content-Type": "application/json",
    })


class QuickbaseReport:
    """One report of one table; iterate :meth:`iter_records` once for every record, keyed by label."""

    def __init__(self, session: requests.Session, *, base_url: str, table_id: str, report_id: str,
                 page_size: int = 1000, timeout_s: float = 30.0, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, log: Any = None,
                 max_response_bytes: int = 64 << 20) -> None:
        self.session = session
        self.max_response_bytes = max_response_bytes  # ITC_QB_MAX_RESPONSE_BYTES
        self.base_url = base_url.rstrip("/")
        self.table_id, self.report_id = table_id, report_id
        self.page_size = page_size
        self.timeout = (min(10.0, timeout_s), timeout_s)
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self.log = log or logger
        self.stats = ReadStats()

    @classmethod
    def from_settings(cls, settings: ExtractSettings, session: requests.Session, **kwargs: Any) -> QuickbaseReport:
        return cls(session, base_url=settings.qb_base_url, table_id=settings.qb_table_id,
                   report_id=settings.qb_report_id, page_size=settings.qb_page_size,
                   timeout_s=settings.qb_timeout_s,
                   retry=RetryPolicy(settings.qb_max_attempts, settings.qb_backoff_s, settings.qb_max_wait_s,
                                     settings.qb_max_total_s),
                   max_response_bytes=settings.qb_max_response_bytes, **kwargs)

    # ----------------------------------------------------------------------------------- calls
    def _counting_sleep(self, seconds: float) -> None:
        self.stats.retries += 1
        self.log.info("retrying Quickbase call", extra={"wait_s": round(seconds, 3), "retries": self.stats.retries})
        self._sleep(seconds)

    def _call(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        try:
            return request_json(
                self.session, method, f"{self.base_url}{path}", timeout=self.timeout,
                max_attempts=self.retry.max_attempts, max_total_s=self.retry.max_total_s,
                max_wait_s=self.retry.max_wait_s, backoff_s=self.retry.backoff_s, sleep=self._counting_sleep,
                max_body_bytes=self.max_response_bytes, limit_name="ITC_QB_MAX_RESPONSE_BYTES", **kwargs)
        except HttpError as exc:
            if exc.status == 401:
                raise TerminalError(f"Quickbase refused {what} with HTTP 401 ({_after_colon(exc)}): check the "
                                    "user token (ITC_QB_TOKEN_SECRET_ARN) and realm (ITC_QB_REALM)") from None
            if exc.status == 403:
                raise TerminalError(f"Quickbase refused {what} with HTTP 403 ({_after_colon(exc)}): the token's "
                                    "user may not read this table/report") from None
            kind = TransientError if exc.transient else TerminalError
            raise kind(f"Quickbase {what} failed: {exc}") from None

    def table_fields(self) -> dict[int, str]:
        body = self._call("GET", "/v1/fields", "listing the table's fields", params={"tableId": self.table_id})
        if not isinstance(body, list):
            raise TerminalError("Quickbase GET /v1/fields answered something other than a list of fields")
        labels: dict[int, str] = {}
        for item in body:
            if not isinstance(item, dict) or not isinstance(item.get("id"), int) or not isinstance(
                    item.get("label"), str):
                raise TerminalError("Quickbase GET /v1/fields answered a field without an integer id and a label")
            labels[item["id"]] = item["label"]
        return labels

    def report_field_ids(self) -> list[int]:
        body = self._call("GET", f"/v1/reports/{self.report_id}", "reading the report definition",
                          params={"tableId": self.table_id})
        ids = body.get("query", {}).get("fields") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            raise TerminalError(f"Quickbase report {self.report_id} definition has no list of field ids")
        return ids

    # ---------------------------------------------------------------------------------- paging
    def iter_records(self) -> Iterator[dict[str, Any]]:
        """Every record of the report, keyed by Quickbase label, read page by page."""
        labels = self.table_fields()
        report_ids = self.report_field_ids()
        missing_ids = [i for i in report_ids if i not in labels]
        if missing_ids:
            raise TerminalError(f"report {self.report_id} uses field id(s) {missing_ids} that GET /v1/fields "
                                "does not list")
        report_labels = [labels[i] for i in report_ids]
        if KEY_LABEL not in report_labels:
            raise TerminalError(f"report {self.report_id} has no {KEY_LABEL!r} field: cannot key the records")
        self.stats.fields = len(report_labels)
        self.stats.unknown_labels = [lb for lb in report_labels if lb not in FIELD_BY_LABEL]
        self.stats.missing_labels = [lb for lb in FIELD_BY_LABEL if lb not in report_labels]
        if self.stats.unknown_labels or self.stats.missing_labels:
            self.log.warning("the report's fields differ from the warehouse's columns", extra={
                "unknown_fields": self.stats.unknown_labels, "missing_fields": self.stats.missing_labels})
        by_id = {str(i): labels[i] for i in report_ids}

        skip = 0
        total: int | None = None
        seen: set[int] = set()
        path = f"/v1/reports/{self.report_id}/run"
        while total is None or skip < total:
            what = f"running report {self.report_id} (skip={skip})"
            body = self._call("POST", path, what, params={"tableId": self.table_id, "skip": skip,
                                                          "top": self.page_size}, json={})
            data, page_total, count = _page_parts(body, what)
            if total is None:
                total = page_total
                self.stats.total_records = total
            elif page_total != total:
                raise TransientError(
                    f"Quickbase report {self.report_id} changed while it was being read: totalRecords was {total} "
                    f"on the first page and {page_total} at skip={skip}; nothing was landed, run the extract again")
            if count != len(data):
                raise TransientError(f"Quickbase report {self.report_id} page at skip={skip} says numRecords="
                                     f"{count} but holds {len(data)} records; nothing was landed")
            if count == 0 and skip < total:
                raise TransientError(f"Quickbase report {self.report_id} returned an empty page at skip={skip} "
                                     f"of totalRecords={total}; nothing was landed")
            self.stats.pages += 1
            for row in data:
                record = _to_labels(row, by_id, what)
                key = record.get(KEY_LABEL)
                if isinstance(key, int) and not isinstance(key, bool):
                    if key in seen:
                        raise TransientError(
                            f"Quickbase report {self.report_id}: Request ID {key} came twice (again at skip={skip}): "
                            "the report shifted while it was being read; nothing was landed")
                    seen.add(key)
                self.stats.records += 1
                yield record
            skip += count
            self.log.info("report page read", extra={"skip": skip, "total_records": total, "pages": self.stats.pages})
        if self.stats.records != total:
            raise TransientError(f"Quickbase report {self.report_id}: read {self.stats.records} records but "
                                 f"totalRecords is {total}")


def _after_colon(exc: HttpError) -> str:
    text = str(exc)
    return text.split(": ", 1)[1] if ": " in text else text


def _page_parts(body: Any, what: str) -> tuple[list[Any], int, int]:
    meta = body.get("metadata") if isinstance(body, dict) else None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(meta, dict) or not isinstance(data, list):
        raise TerminalError(f"Quickbase {what}: the answer has no 'data' list and 'metadata' object")
    total, count = meta.get("totalRecords"), meta.get("numRecords")
    if not isinstance(total, int) or not isinstance(count, int) or total < 0 or count < 0:
        raise TerminalError(f"Quickbase {what}: metadata lacks whole totalRecords/numRecords")
    return data, total, count


def _to_labels(row: Any, by_id: dict[str, str], what: str) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise TerminalError(f"Quickbase {what}: a record is not a JSON object")
    try:  # one comprehension: this runs for every record of the report
        return {by_id[fid]: cell.get("value") if isinstance(cell, dict) else cell for fid, cell in row.items()}
    except KeyError:
        fid = next(f for f in row if f not in by_id)
        raise TerminalError(f"Quickbase {what}: a record holds field id {fid}, which the report does not "
                            "list") from None
