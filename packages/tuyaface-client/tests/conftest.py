"""Fixtures for the client tests; the helpers live in simkit.py (and reliabilitykit.py).

R10 (RELIABILITY.md) for the whole client suite: pytest-asyncio tests run with asyncio
debug on and `slow_callback_duration` at 50 ms, and any test during which a debug loop
reports a slower callback fails ("Executing ... took"). The heap that exists once the
tests are collected is frozen, so a full garbage collection does not pass for a blocked
loop.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
from collections.abc import Iterator

import pytest
import pytest_asyncio
from reliabilitykit import SLOW_CALLBACK, no_slow_callbacks, warm_up
from simkit import DRIVERS, TRANSPORTS, VERSIONS

from tuyaface_transport.testing import use_loop_from_env


def pytest_configure(config: pytest.Config) -> None:
    config.option.asyncio_debug = True
    use_loop_from_env()  # $TUYAFACE_LOOP=uvloop: `tox -e uvloop`


def pytest_collection_finish(session: pytest.Session) -> None:
    warm_up()  # the crypto backends load once, outside any loop
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def _no_slow_callbacks(request: pytest.FixtureRequest) -> Iterator[None]:
    if inspect.iscoroutinefunction(request.function):
        request.getfixturevalue("_slow_callback_threshold")
    with no_slow_callbacks():
        yield


@pytest_asyncio.fixture
async def _slow_callback_threshold() -> None:
    """The test's own loop (pytest-asyncio's, in debug mode) at the R10 threshold."""
    asyncio.get_running_loop().slow_callback_duration = SLOW_CALLBACK


@pytest.fixture(params=VERSIONS)
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)
