"""Fixtures shared by the security tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scripts.stack import local_pg


@pytest.fixture(scope="session")
def tls_cluster() -> Iterator[local_pg.Cluster]:
    """The TLS-only Debian cluster, started once for the session and stopped at its end. Started and stopped
    per module instead, its port (in the kernel's ephemeral range) could be taken in between by any client
    socket, and the next start failed with 'Address already in use'."""
    cluster = local_pg.start("debian", tls=True)
    yield cluster
    local_pg.stop("debian", tls=True)
