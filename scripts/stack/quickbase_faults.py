"""The faults the Quickbase simulator (:mod:`scripts.stack.quickbase_simulator`) can inject, and its stats.

Kinds (see the simulator's module doc): ``status``, ``rate_limit``, ``slow``, ``truncate``,
``shift_count``, ``short_page``, and ``oversized`` (a hostile server: a 200 answer of ``size`` bytes
streamed without ``Content-Length``, for the client's response limit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

FAULT_KINDS = ("status", "rate_limit", "slow", "truncate", "shift_count", "short_page", "oversized")


@dataclass
class Fault:
    """One injected fault: fires on the next ``times`` matching requests after skipping ``after``."""

    kind: str
    endpoint: str = "run"  # run | fields | report | any
    times: int = 1
    after: int = 0
    status: int = 503
    seconds: float = 0.0  # slow: delay; rate_limit: Retry-After
    delta: int = 1  # shift_count: records added at the front of the report
    size: int = 256 << 20  # oversized: bytes of the hostile body

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind {self.kind!r} is not one of {', '.join(FAULT_KINDS)}")
        if self.endpoint not in ("run", "fields", "report", "any"):
            raise ValueError(f"fault endpoint {self.endpoint!r} is not run, fields, report or any")


@dataclass
class Stats:
    requests: int = 0
    by_endpoint: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    faults_fired: int = 0
    oversized_bytes_sent: int = 0  # how much of an oversized body the client read before it hung up
