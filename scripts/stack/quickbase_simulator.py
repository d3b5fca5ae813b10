"""A local stand-in for the Quickbase REST API v1: the endpoints the Verify+ pipeline uses, over real HTTP.

Endpoints (JSON in, JSON out, like Quickbase):

- ``GET  /v1/fields?tableId=``            every field of the table: ``[{"id", "label", "fieldType", ...}]``
- ``GET  /v1/reports/{id}?tableId=``      the report: ``{"id", "name", "type", "query": {"fields": [...]}}``
- ``POST /v1/reports/{id}/run?tableId=&skip=&top=``
  ``{"data": [{"<fieldId>": {"value": v}}], "fields": [{"id", "label", "type"}],
  "metadata": {"totalRecords", "numRecords", "numFields", "skip", "top"}}``; a page never holds more
  than ``page_cap`` records, whatever ``top`` asks.

Every API call must carry ``QB-Realm-Hostname`` (the simulator's realm), ``User-Agent`` and
``Authorization: QB-USER-TOKEN <token>``; a wrong token answers 401 with Quickbase's
``{"message", "description"}``. Field ids are realm-specific (derived from the realm and table), so a
client must map by label. With ``rate_limit_per_s`` set, callers over the rate get 429 + ``Retry-After``.

Faults are injected per request, in order, from constructor arguments or ``inject()`` or the admin
API (``POST /_admin/faults`` with a :class:`Fault` as JSON; ``DELETE /_admin/faults``;
``GET /_admin/stats``). Kinds: ``status`` (answer ``status``, e.g. 503), ``rate_limit`` (429 with
``Retry-After: seconds``), ``slow`` (sleep ``seconds`` before answering: beyond the client timeout),
``truncate`` (cut the JSON body in half), ``shift_count`` (``delta`` new records appear at the front
of the report from this request on: ``totalRecords`` changes between pages), ``short_page`` (the page
claims ``numRecords`` it does not hold), ``oversized`` (a hostile server: a 200 answer of ``size`` bytes
of valid JSON, streamed without ``Content-Length``, so a client can only refuse it while reading).

In process (tests)::

    with QuickbaseSimulator(VerifyPlusDataset(records=10_007), token="t") as sim:
        sim.base_url  # http://127.0.0.1:<free port>

As a process::

    python -m scripts.stack.quickbase_simulator --port 8765 --records 5000 --seed 7 --token local-token
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import threading
import time
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from scripts.stack.quickbase_faults import Fault, Stats
from scripts.synthetic.verifyplus import (
    SyntheticConfig,
    VerifyPlusDataset,
    add_dataset_arguments,
    dataset_from_arguments,
)

DEFAULT_REALM = "itc-local.quickbase.com"
DEFAULT_TABLE_ID = "bq7vrfy2x"
DEFAULT_REPORT_ID = "12"
DEFAULT_TOKEN = "local-simulator-token"  # noqa: S105 - the simulator's own local token, not a secret
_BUILTIN_FIELDS = (("Date Created", "timestamp"), ("Date Modified", "timestamp"), ("Record ID#", "recordid"),
                   ("Record Owner", "user"), ("Last Modified By", "user"))
_QB_TYPE = {"int": "numeric", "datetime": "timestamp"}


class _Reply(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


class QuickbaseSimulator:
    """The simulator; start it with ``start()`` or as a context manager; ``base_url`` once started."""

    def __init__(
        self,
        dataset: VerifyPlusDataset | None = None,
        *,
        token: str = DEFAULT_TOKEN,
        realm: str = DEFAULT_REALM,
        table_id: str = DEFAULT_TABLE_ID,
        report_id: str = DEFAULT_REPORT_ID,
        page_cap: int = 1000,
        rate_limit_per_s: float | None = None,
        rate_limit_retry_after: float = 1.0,
        faults: tuple[Fault, ...] | list[Fault] = (),
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.dataset = dataset if dataset is not None else VerifyPlusDataset(SyntheticConfig())
        self.token, self.realm, self.table_id, self.report_id = token, realm, table_id, report_id
        self.page_cap = page_cap
        self.rate_limit_per_s = rate_limit_per_s
        self.rate_limit_retry_after = rate_limit_retry_after
        self._host, self._port = host, port
        self._lock = threading.Lock()
        self._faults: list[Fault] = list(faults)
        self._shift = 0
        self._bucket = rate_limit_per_s or 0.0
        self._bucket_at = time.monotonic()
        self.stats = Stats()
        rng = random.Random(f"fields:{realm}:{table_id}")  # noqa: S311 - ids, not security
        labels = self.dataset.labels
        ids = rng.sample(range(6, 1000), len(labels) + len(_BUILTIN_FIELDS))
        self.report_fields: list[dict[str, Any]] = [
            {"id": ids[i], "label": label, "type": _QB_TYPE.get(kind, kind)} for i, (label, kind) in enumerate(labels)
        ]
        self.field_id_by_label = {f["label"]: f["id"] for f in self.report_fields}
        self.table_fields: list[dict[str, Any]] = [
            {"id": n + 1, "label": label, "fieldType": kind, "mode": "", "required": False}
            for n, (label, kind) in enumerate(_BUILTIN_FIELDS)
        ] + [{"id": f["id"], "label": f["label"], "fieldType": f["type"], "mode": "", "required": False,
              "fieldHelp": ""} for f in self.report_fields]
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------------------- lifecycle
    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> QuickbaseSimulator:
        simulator = self

        class Handler(_Handler):
            sim = simulator

        self._server = ThreadingHTTPServer((self._host, self._port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="quickbase-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> QuickbaseSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def pipeline_env(self) -> dict[str, str]:
        """The environment that points ``verifyplus_pipeline`` at this simulator (local runs only)."""
        return {"ITC_QB_BASE_URL": self.base_url, "ITC_QB_REALM": self.realm, "ITC_QB_TABLE_ID": self.table_id,
                "ITC_QB_REPORT_ID": self.report_id, "ITC_QB_TOKEN": self.token, "ITC_ENV": "local"}

    # ----------------------------------------------------------------------------------- faults
    def inject(self, fault: Fault | None = None, /, **kwargs: Any) -> None:
        with self._lock:
            self._faults.append(fault if fault is not None else Fault(**kwargs))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, endpoint: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.endpoint not in (endpoint, "any"):
                    continue
                if fault.after > 0:
                    fault.after -= 1
                    return None
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                self.stats.faults_fired += 1
                return fault
            return None

    def _rate_limited(self) -> bool:
        if not self.rate_limit_per_s:
            return False
        with self._lock:
            now = time.monotonic()
            self._bucket = min(self.rate_limit_per_s, self._bucket + (now - self._bucket_at) * self.rate_limit_per_s)
            self._bucket_at = now
            if self._bucket < 1.0:
                return True
            self._bucket -= 1.0
            return False

    # ------------------------------------------------------------------------------------- data
    @property
    def total_records(self) -> int:
        return len(self.dataset) + self._shift

    def _record_at(self, position: int) -> dict[str, Any]:
        if position < self._shift:  # a record created while the client was paging
            record = self.dataset.record(position % max(len(self.dataset), 1))
            record["Request ID"] = 900_000_000 + position
            return record
        return self.dataset.record(position - self._shift)

    def page(self, skip: int, top: int) -> dict[str, Any]:
        total = self.total_records
        top = self.page_cap if top <= 0 else min(top, self.page_cap)
        rows = []
        for position in range(skip, min(total, skip + top)):
            record = self._record_at(position)
            rows.append({str(self.field_id_by_label[label]): {"value": value} for label, value in record.items()})
        return {
            "data": rows,
            "fields": self.report_fields,
            "metadata": {"totalRecords": total, "numRecords": len(rows), "numFields": len(self.report_fields),
                         "skip": skip, "top": top},
        }


class _Handler(BaseHTTPRequestHandler):
    sim: QuickbaseSimulator
    server_version = "QuickbaseSimulator/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: tests and the demo read the stats instead

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # ------------------------------------------------------------------------------------------
    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None, *, truncate: bool = False) -> None:
        data = orjson.dumps(body)
        if truncate:
            data = data[: max(1, len(data) // 2)]
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): nothing to do
            return
        sim = self.sim
        with sim._lock:
            sim.stats.by_status[str(status)] = sim.stats.by_status.get(str(status), 0) + 1

    def _send_oversized(self, size: int) -> None:
        """``{"pad": "xxx…"}`` of ``size`` bytes, streamed with no Content-Length (ends when the connection closes)."""
        chunk = b"x" * (64 * 1024)
        sent = 0
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b'{"pad": "')
            while sent < size:
                self.wfile.write(chunk)
                sent += len(chunk)
            self.wfile.write(b'"}')
        except (BrokenPipeError, ConnectionResetError):  # the client refused it mid-stream, as it should
            pass
        finally:
            self.close_connection = True
            with self.sim._lock:
                self.sim.stats.oversized_bytes_sent += sent

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            raise _Reply(400, {"message": "Bad Request", "description": "Request body is not valid JSON"}) from None

    def _dispatch(self, method: str) -> None:
        sim = self.sim
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        parts = [p for p in url.path.split("/") if p]
        try:
            if parts[:1] == ["_admin"]:
                self._admin(method, parts[1:])
                return
            endpoint = self._route(method, parts)
            with sim._lock:
                sim.stats.requests += 1
                sim.stats.by_endpoint[endpoint] = sim.stats.by_endpoint.get(endpoint, 0) + 1
            self._check_headers()
            if method == "POST":
                self._body()
            if sim._rate_limited():
                raise _Reply(429, {"message": "Too Many Requests", "description": "Rate limit exceeded"},
                             {"Retry-After": _num(sim.rate_limit_retry_after)})
            fault = sim._take_fault(endpoint)
            truncate = False
            if fault is not None and fault.kind == "oversized":
                self._send_oversized(fault.size)
                return
            if fault is not None:
                truncate = self._apply_fault(fault)
            body = self._answer(endpoint, parts, query)
            if fault is not None and fault.kind == "short_page" and body.get("data"):
                body["data"] = body["data"][:-1]
            self._send(200, body, truncate=truncate)
        except _Reply as reply:
            self._send(reply.status, reply.body, reply.headers)

    def _route(self, method: str, parts: list[str]) -> str:
        if method == "GET" and parts == ["v1", "fields"]:
            return "fields"
        if method == "GET" and len(parts) == 3 and parts[:2] == ["v1", "reports"]:
            return "report"
        if method == "POST" and len(parts) == 4 and parts[:2] == ["v1", "reports"] and parts[3] == "run":
            return "run"
        raise _Reply(404, {"message": "Not Found", "description": f"No route for {method} /{'/'.join(parts)}"})

    def _check_headers(self) -> None:
        sim = self.sim
        if not self.headers.get("User-Agent"):
            raise _Reply(400, {"message": "Bad Request", "description": "Missing User-Agent header"})
        realm = self.headers.get("QB-Realm-Hostname")
        if not realm:
            raise _Reply(400, {"message": "Bad Request", "description": "Missing QB-Realm-Hostname header"})
        if realm != sim.realm:
            raise _Reply(401, {"message": "Unauthorized", "description": f"Realm {realm} not found"})
        auth = self.headers.get("Authorization") or ""
        if not auth.startswith("QB-USER-TOKEN "):
            raise _Reply(401, {"message": "Unauthorized",
                               "description": "Missing or malformed Authorization header (QB-USER-TOKEN)"})
        if auth[len("QB-USER-TOKEN "):] != sim.token:
            raise _Reply(401, {"message": "Unauthorized", "description": "Invalid user token"})

    def _apply_fault(self, fault: Fault) -> bool:
        sim = self.sim
        if fault.kind == "status":
            raise _Reply(fault.status, {"message": "Service Unavailable" if fault.status == 503 else "Error",
                                        "description": "Injected fault"})
        if fault.kind == "rate_limit":
            raise _Reply(429, {"message": "Too Many Requests", "description": "Rate limit exceeded"},
                         {"Retry-After": _num(fault.seconds)})
        if fault.kind == "slow":
            time.sleep(fault.seconds)
        elif fault.kind == "shift_count":
            with sim._lock:
                sim._shift += fault.delta
        return fault.kind == "truncate"

    def _answer(self, endpoint: str, parts: list[str], query: dict[str, str]) -> dict[str, Any] | Any:
        sim = self.sim
        table_id = query.get("tableId")
        if not table_id:
            raise _Reply(400, {"message": "Bad Request", "description": "Missing required parameter tableId"})
        if table_id != sim.table_id:
            raise _Reply(404, {"message": "Not Found", "description": f"Table {table_id} not found"})
        if endpoint == "fields":
            return sim.table_fields  # type: ignore[return-value]
        if parts[2] != sim.report_id:
            raise _Reply(404, {"message": "Not Found", "description": f"Report {parts[2]} not found"})
        if endpoint == "report":
            return {"id": sim.report_id, "name": "Verify+ billing report", "type": "table", "description": "",
                    "query": {"tableId": sim.table_id, "filter": "", "fields": [f["id"] for f in sim.report_fields],
                              "sortBy": [], "groupBy": []}}
        try:
            skip = int(query.get("skip") or 0)
            top = int(query.get("top") or 0)
        except ValueError:
            raise _Reply(400, {"message": "Bad Request", "description": "skip and top must be integers"}) from None
        if skip < 0 or top < 0:
            raise _Reply(400, {"message": "Bad Request", "description": "skip and top must not be negative"})
        return sim.page(skip, top)

    def _admin(self, method: str, parts: list[str]) -> None:
        sim = self.sim
        if parts == ["faults"] and method == "POST":
            try:
                sim.inject(Fault(**self._body()))
            except (TypeError, ValueError) as exc:
                raise _Reply(400, {"message": "Bad Request", "description": str(exc)}) from None
            self._send(200, {"faults": [asdict(f) for f in sim._faults]})
        elif parts == ["faults"] and method == "DELETE":
            sim.clear_faults()
            self._send(200, {"faults": []})
        elif parts == ["stats"] and method == "GET":
            self._send(200, {**asdict(sim.stats), "totalRecords": sim.total_records})
        else:
            raise _Reply(404, {"message": "Not Found", "description": "unknown admin route"})


def _num(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local Quickbase API v1 simulator serving synthetic Verify+ data")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = a free port (printed)")
    add_dataset_arguments(parser)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--realm", default=DEFAULT_REALM)
    parser.add_argument("--table-id", default=DEFAULT_TABLE_ID)
    parser.add_argument("--report-id", default=DEFAULT_REPORT_ID)
    parser.add_argument("--page-cap", type=int, default=1000)
    parser.add_argument("--rate-limit", type=float, default=None, help="requests per second before 429")
    args = parser.parse_args(argv)
    dataset = dataset_from_arguments(args)
    sim = QuickbaseSimulator(dataset, token=args.token, realm=args.realm, table_id=args.table_id,
                             report_id=args.report_id, page_cap=args.page_cap, rate_limit_per_s=args.rate_limit,
                             host=args.host, port=args.port)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with sim:
        print(f"quickbase simulator on {sim.base_url} realm={sim.realm} table={sim.table_id} "
              f"report={sim.report_id} records={len(dataset)}", flush=True)
        try:
            stopped.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
