"""An HTTP client that always has a timeout and retries what a retry can fix.

:func:`request_json` retries 429, 5xx, timeouts and dropped connections with tenacity, waiting what
``Retry-After`` asks (capped) or else exponential backoff with jitter. Any other 4xx, or a body that
is not JSON, fails at once with :class:`HttpError`, whose message names the method, the path and the
status but never headers (tokens) or query values. ``max_body_bytes`` bounds the response body: a
larger one (by ``Content-Length`` or while streaming it) fails at once, unread beyond the limit.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class HttpError(Exception):
    """A request that failed for good; ``status`` is None when no response came back."""

    def __init__(self, message: str, status: int | None = None, transient: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.transient = transient


class _BodyTooLarge(Exception):
    pass


def _read_body(response: requests.Response, max_body_bytes: int | None) -> None:
    """Read the (streamed) body into ``response.content``, refusing it past ``max_body_bytes``."""
    if max_body_bytes is None:
        return
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_body_bytes:
        response.close()
        raise _BodyTooLarge(f"declares {declared} bytes")
    chunks, size = [], 0
    for chunk in response.iter_content(chunk_size=64 * 1024):
        size += len(chunk)
        if size > max_body_bytes:
            response.close()
            raise _BodyTooLarge(f"sent more than {max_body_bytes} bytes")
        chunks.append(chunk)
    response._content = b"".join(chunks)  # requests' own cache of the body: .json() reads it


class _RetryableResponse(Exception):
    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def build_session(user_agent: str, headers: dict[str, str] | None = None) -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = user_agent
    session.headers.update(headers or {})
    return session


def retry_after_seconds(response: requests.Response, now: float | None = None) -> float | None:
    """Seconds asked for by ``Retry-After`` (delta seconds or an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (now if now is not None else time.time()))


def _describe(method: str, url: str) -> str:
    return f"{method} {urlsplit(url).path}"


def request_json(
    session: requests.Session,
    method: str,
    url: str,
    *,
    timeout: float | tuple[float, float] = (5.0, 30.0),
    max_attempts: int = 6,
    max_total_s: float = 300.0,
    max_wait_s: float = 60.0,
    backoff_s: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    max_body_bytes: int | None = None,
    limit_name: str = "max_body_bytes",
    **kwargs: Any,
) -> Any:
    """Send the request with retries and return the decoded JSON body (at most ``max_body_bytes``,
    named ``limit_name`` in the error)."""
    what = _describe(method, url)

    def attempt() -> tuple[requests.Response, Any]:
        response = session.request(method, url, timeout=timeout, stream=max_body_bytes is not None, **kwargs)
        _read_body(response, max_body_bytes)
        if response.status_code in RETRY_STATUS:
            raise _RetryableResponse(response)
        if response.status_code >= 400:
            return response, None
        try:
            return response, response.json()
        except ValueError:  # truncated or garbled body: ask again
            raise _RetryableResponse(response) from None

    retrying = Retrying(
        retry=retry_if_exception(
            lambda e: isinstance(e, _RetryableResponse | requests.Timeout | requests.ConnectionError)
        ),
        wait=_retry_wait(backoff_s, max_wait_s),
        stop=stop_after_attempt(max_attempts) | stop_after_delay(max_total_s),
        sleep=sleep,
        reraise=True,
    )
    def attempts() -> int:
        return int(retrying.statistics.get("attempt_number", max_attempts))

    try:
        response, body = retrying(attempt)
    except _RetryableResponse as exc:
        status = exc.response.status_code
        problem = f"HTTP {status}" if status in RETRY_STATUS else "a body that is not JSON"
        raise HttpError(f"{what} still answered {problem} after {attempts()} attempts",
                        status, transient=True) from None
    except requests.Timeout:
        raise HttpError(f"{what} timed out after {attempts()} attempts", transient=True) from None
    except requests.ConnectionError:
        raise HttpError(f"{what} could not connect after {attempts()} attempts", transient=True) from None
    except _BodyTooLarge as exc:
        raise HttpError(f"{what} answered a body over {limit_name}={max_body_bytes} bytes ({exc}); refused "
                        "while streaming") from None
    if response.status_code >= 400:
        raise HttpError(f"{what} answered HTTP {response.status_code}: {_short_reason(response)}",
                        response.status_code)
    return body


def _retry_wait(backoff_s: float, max_wait_s: float) -> Callable[[RetryCallState], float]:
    """How long to wait before the next attempt: the server's Retry-After (capped at ``max_wait_s``) when a
    retryable answer gives one, else a random exponential backoff."""
    fallback = wait_random_exponential(multiplier=backoff_s, max=max_wait_s)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RetryableResponse):
            asked = retry_after_seconds(exc.response)
            if asked is not None:
                return min(asked, max_wait_s)
        return fallback(state)

    return wait


def _short_reason(response: requests.Response) -> str:
    """The API's own error message, if it gave one (Quickbase: ``message`` / ``description``)."""
    try:
        body = response.json()
    except ValueError:
        return response.reason or "no detail"
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("message", "description") if body.get(k)]
        if parts:
            return ": ".join(parts)[:300]
    return response.reason or "no detail"
