"""Fixtures for the client tests; the helpers live in simkit.py (and reliabilitykit.py).

R10 (docs/reliability.md) for the whole client suite: pytest-asyncio tests run with asyncio
debug on, and any test during which a running loop's thread makes a blocking call
(file I/O, an import, a blocking socket call, `time.sleep`, a subprocess) fails with the
call's event and stack (loopguard.py; deterministic). Opt-in, with
TUYAFACE_WALLCLOCK_GUARD=1 (`tox -e soak`): a debug loop reporting a callback slower than
TUYAFACE_SLOW_CALLBACK (50 ms) fails the test too ("Executing ... took"). The heap that
exists once the tests are collected is frozen, so a full garbage collection does not pass
for a blocked loop.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
from collections.abc import Iterator

import pytest
import pytest_asyncio
from loopguard import install
from reliabilitykit import SLOW_CALLBACK, WALLCLOCK_GUARD, loop_checks, warm_up
from simkit import DRIVERS, TRANSPORTS, VERSIONS

from tuyaface_transport.testing import use_loop_from_env


def pytest_configure(config: pytest.Config) -> None:
    config.option.asyncio_debug = True
    install()  # the audit hook, once per process
    use_loop_from_env()  # $TUYAFACE_LOOP=uvloop: `tox -e uvloop`


def pytest_collection_finish(session: pytest.Session) -> None:
    warm_up()  # the crypto backends load once, outside any loop
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def _loop_checks(request: pytest.FixtureRequest) -> Iterator[None]:
    if WALLCLOCK_GUARD and inspect.iscoroutinefunction(request.function):
        request.getfixturevalue("_slow_callback_threshold")
    with loop_checks():
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


@pytest.fixture(scope="session")
def mqtt_broker() -> Iterator[object]:
    """One real broker process (mosquitto, else amqtt) on 127.0.0.1 for the bridge tests."""
    from bridgekit import broker_process

    with broker_process() as broker:
        yield broker
