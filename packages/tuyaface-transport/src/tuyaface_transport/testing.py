"""Opt-in pytest fixtures for code built on tuyaface_transport.

Enable them in a conftest.py (they are never loaded automatically)::

    pytest_plugins = ["tuyaface_transport.testing"]

- `loopback_pair`: a connected (client, server) pair of blocking loopback transports;
  `.as_async()` gives the asyncio view of either side.
- `loopback_listener`: a `LoopbackListener` with a unique name on a fake port, closed after
  the test; set `.faults` / `.client_faults`, then `connect()` / `accept()` or `serve()`.
- `tcp_listener`: a listening blocking socket on 127.0.0.1, port chosen by the OS.

`use_loop_from_env()`, called from a conftest's `pytest_configure`, runs every event loop
of the test run (pytest-asyncio's, `asyncio.run`, `asyncio.Runner`) on the loop that
$TUYAFACE_LOOP names: "asyncio" (the default) or "uvloop".
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
from collections.abc import Iterator

import pytest

from .loopback import LoopbackListener, LoopbackTransport
from .loopback import loopback_pair as _make_pair

__all__ = ["LOOP_ENV", "loopback_listener", "loopback_pair", "tcp_listener", "use_loop_from_env"]

LOOP_ENV = "TUYAFACE_LOOP"


def use_loop_from_env() -> str:
    """Install the event loop policy $TUYAFACE_LOOP asks for; return the loop's name."""
    name = os.environ.get(LOOP_ENV) or "asyncio"
    if name == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    elif name != "asyncio":
        raise pytest.UsageError(f"${LOOP_ENV} is 'asyncio' or 'uvloop', not {name!r}")
    return name

_names = itertools.count(1)


@pytest.fixture
def loopback_pair() -> Iterator[tuple[LoopbackTransport, LoopbackTransport]]:
    """A connected (client, server) pair, closed after the test."""
    client, server = _make_pair()
    with client, server:
        yield client, server


@pytest.fixture
def loopback_listener() -> Iterator[LoopbackListener]:
    """A fresh in-memory listener, closed after the test."""
    with LoopbackListener(f"test-listener-{next(_names)}") as listener:
        yield listener


@pytest.fixture
def tcp_listener() -> Iterator[socket.socket]:
    """A socket listening on 127.0.0.1 at a port the OS picked (`getsockname()[1]`)."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock
