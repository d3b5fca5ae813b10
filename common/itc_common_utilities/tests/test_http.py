"""The retrying HTTP client against a real local HTTP server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from itc_common_utilities.http import HttpError, build_session, request_json, retry_after_seconds


class _Script:
    """Responses the server gives, in order: (status, headers, body, delay_s)."""

    def __init__(self) -> None:
        self.steps: list[tuple[int, dict[str, str], bytes, float]] = []
        self.seen: list[dict[str, str]] = []


@pytest.fixture
def server() -> Iterator[tuple[str, _Script]]:
    script = _Script()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            script.seen.append(dict(self.headers))
            status, headers, body, delay = script.steps.pop(0) if script.steps else (200, {}, b"{}", 0.0)
            time.sleep(delay)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    httpd.shutdown()
    httpd.server_close()


def _ok(payload: object) -> tuple[int, dict[str, str], bytes, float]:
    return 200, {"Content-Type": "application/json"}, json.dumps(payload).encode(), 0.0


def test_given_429_with_retry_after_when_requested_then_waits_as_asked_and_succeeds(server):
    url, script = server
    script.steps = [(429, {"Retry-After": "7"}, b'{"message":"slow down"}', 0.0), _ok({"data": [1]})]
    waits: list[float] = []
    body = request_json(build_session("itc-test/1.0", {"Authorization": "QB-USER-TOKEN secret-token"}), "POST",
                        url + "/v1/reports/1/run", sleep=waits.append)
    assert body == {"data": [1]}
    assert waits == [7.0]
    assert script.seen[0]["User-Agent"] == "itc-test/1.0"


def test_given_5xx_then_success_when_requested_then_retries_with_backoff(server):
    url, script = server
    script.steps = [(503, {}, b"", 0.0), (502, {}, b"", 0.0), _ok({"ok": True})]
    waits: list[float] = []
    body = request_json(build_session("t"), "GET", url + "/v1/fields", sleep=waits.append, backoff_s=0.01)
    assert body == {"ok": True}
    assert len(waits) == 2


def test_given_truncated_json_when_requested_then_it_is_asked_again(server):
    url, script = server
    script.steps = [(200, {}, b'{"data": [1, 2', 0.0), _ok({"data": [1, 2]})]
    assert request_json(build_session("t"), "GET", url + "/x", sleep=lambda _: None) == {"data": [1, 2]}


def test_persistent_5xx_is_transient_error_without_secrets(server):
    """GIVEN a server answering HTTP 500 every time WHEN requested THEN a clear transient error, without the
    token or the query string's secret."""
    url, script = server
    script.steps = [(500, {}, b"", 0.0)] * 3
    session = build_session("t", {"Authorization": "QB-USER-TOKEN secret-token"})
    with pytest.raises(HttpError) as err:
        request_json(session, "GET", url + "/v1/fields?tableId=abc&token=qs-secret", max_attempts=3,
                     sleep=lambda _: None)
    assert str(err.value) == "GET /v1/fields still answered HTTP 500 after 3 attempts"
    assert err.value.transient and err.value.status == 500


def test_given_401_when_requested_then_fails_at_once_with_the_apis_message(server):
    url, script = server
    script.steps = [(401, {}, json.dumps({"message": "Unauthorized", "description": "Invalid token"}).encode(), 0.0)]
    with pytest.raises(HttpError, match=r"GET /v1/fields answered HTTP 401: Unauthorized: Invalid token") as err:
        request_json(build_session("t"), "GET", url + "/v1/fields", sleep=lambda _: None)
    assert not err.value.transient
    assert len(script.seen) == 1


def test_given_slow_server_when_requested_then_timeout_is_retried(server):
    url, script = server
    script.steps = [(200, {}, b"{}", 1.5), _ok({"fast": True})]
    assert request_json(build_session("t"), "GET", url + "/x", timeout=(1.0, 0.5), sleep=lambda _: None) == {
        "fast": True}


def test_given_total_time_budget_when_exhausted_then_error_counts_real_attempts(server):
    url, script = server
    script.steps = [(503, {}, b"", 0.0)] * 10
    with pytest.raises(HttpError, match=r"after 1 attempts"):
        request_json(build_session("t"), "GET", url + "/x", max_attempts=10, max_total_s=0.0, sleep=lambda _: None)


def test_given_retry_after_forms_when_parsed_then_seconds_come_out():
    response = requests.Response()
    response.headers["Retry-After"] = "Wed, 21 Oct 2015 07:28:30 GMT"
    assert retry_after_seconds(response, now=1445412500.0) == 10.0
    response.headers["Retry-After"] = "3"
    assert retry_after_seconds(response) == 3.0
    response.headers["Retry-After"] = "soon"
    assert retry_after_seconds(response) is None
