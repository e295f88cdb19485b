"""`TuyaClient`: the tuyaface 1.x persistent client, a thread.

It runs an `AsyncDevice` in the thread's own event loop: AsyncDevice already keeps a
persistent connection with heartbeats, reconnects with backoff and reports pushes and
connection changes as events, so this class only turns those events into the 1.x callbacks
and makes its methods blocking calls into that loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from tuyaface_codec import LocalProtocolError, Timeout

from ._legacy import (
    LegacyDict,
    bookkeeping,
    close_connection,
    read_settings,
    reply,
    tracking,
    wants_device22,
)
from ._types import DpsInput
from .async_device import AsyncDevice, EventStream
from .events import Connected, ConnectFailed, DeviceEvent, Disconnected, StatusPush

__all__ = ["TuyaClient"]

log = logging.getLogger(__name__)

T = TypeVar("T")
StatusCallback = Callable[[dict[str, Any]], object]
ConnectionCallback = Callable[[bool], object]
_START_TIMEOUT = 5.0  # for the thread to set up its event loop
_STOPPED = "this TuyaClient was stopped: create a new one"


class TuyaClient(threading.Thread):
    """A persistent connection to one device, in a thread (tuyaface 1.x API).

    `on_status(data)` gets each status push as `{"devId": ..., "dps": {...}}`;
    `on_connection(True | False)` each change of the connection (the first failed attempt
    reports False too). Both run on this thread: keep them short, and do not call this
    client's methods from them. `status()`, `set_state()`, `set_status()` block until the
    device answered, each bounded by the dict's 'timeout' (5 s by default).
    """

    def __init__(
        self,
        device: LegacyDict,
        on_status: StatusCallback | None = None,
        on_connection: ConnectionCallback | None = None,
    ) -> None:
        self._settings = read_settings(device)
        if self._settings.cid is not None:
            raise LocalProtocolError(
                "TuyaClient does not reach a gateway's child ('cid'): use "
                "tuyaface.gateway.AsyncGateway, or the functions (status, set_status)"
            )
        self._book = bookkeeping(device)
        wants_device22(self._book)  # a bad pref_status_cmd fails here, not in the thread
        super().__init__(name=f"TuyaClient {self._settings.dev_id}", daemon=True)
        self.device = device
        self._on_status = on_status
        self._on_connection = on_connection
        self._loop: asyncio.AbstractEventLoop | None = None
        self._driver: AsyncDevice | None = None
        self._stop_signal: asyncio.Event | None = None
        self._calls: set[concurrent.futures.Future[Any]] = set()
        self._running = threading.Event()
        self._stopping = threading.Event()
        self._connected: bool | None = None

    # -- the 1.x API ------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The device's DP values as `{"devId": ..., "dps": {...}}`."""
        dps = self._request(lambda driver: driver.status())
        message = reply(self._settings.dev_id, dps)
        self._book["status"] = message
        return message

    def set_status(self, dps: DpsInput) -> dict[str, Any]:
        """Set DPs and wait for the acknowledgement; returns `{"devId", "dps": <as set>}`.
        The device's own report follows through `on_status`."""
        values = {str(dp): value for dp, value in dps.items()}
        self._request(lambda driver: driver.set_status(values))
        return reply(self._settings.dev_id, values)

    def set_state(self, value: Any, idx: int | str = 1) -> dict[str, Any]:
        """Set one DP (DP 1, the main switch, by default)."""
        return self.set_status({str(idx): value})

    def stop_client(self) -> None:
        """Close the connection and end the thread, waiting at most `timeout` + 2 s."""
        self._stopping.set()
        if not self.is_alive():
            return
        deadline = time.monotonic() + self._settings.timeout + 2.0
        self._running.wait(_START_TIMEOUT)
        loop, stop = self._loop, self._stop_signal
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(stop.set)
        if threading.current_thread() is not self:  # (from a callback: it ends after it)
            self.join(max(0.0, deadline - time.monotonic()))

    # -- the thread -------------------------------------------------------------------

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        finally:
            self._running.clear()
            for call in list(self._calls):  # scheduled too late to run: release the callers
                call.cancel()

    async def _main(self) -> None:
        close_connection(self.device)  # a device has one connection slot: take it over
        driver = AsyncDevice(**self._settings.options(), device22=wants_device22(self._book))
        self._driver = driver
        self._loop = asyncio.get_running_loop()
        self._stop_signal = asyncio.Event()
        consumer = asyncio.create_task(self._consume(driver.events()))
        self._running.set()
        if not self._stopping.is_set():
            await self._stop_signal.wait()
        await driver.aclose()  # bounded by the timeout; ends the event stream
        await asyncio.wait({consumer}, timeout=_START_TIMEOUT)

    async def _consume(self, events: EventStream) -> None:
        async for event in events:
            self._dispatch(event)

    def _dispatch(self, event: DeviceEvent) -> None:
        if isinstance(event, StatusPush):
            self._notify(self._on_status, reply(self._settings.dev_id, event.dps, event.cid))
        elif isinstance(event, Connected):
            self._connection_is(True)
        elif isinstance(event, Disconnected | ConnectFailed):
            self._connection_is(False)

    def _connection_is(self, up: bool) -> None:
        self._book["availability"] = up
        if self._connected is not up:
            self._connected = up
            self._notify(self._on_connection, up)

    def _notify(self, callback: Callable[[Any], object] | None, value: object) -> None:
        if callback is None:
            return
        try:
            callback(value)
        except Exception:  # a user callback must not end the connection
            log.exception("%s: callback %r failed", self.name, callback)

    # -- calls from other threads -----------------------------------------------------

    def _request(self, make: Callable[[AsyncDevice], Coroutine[Any, Any, T]]) -> T:
        """Run `make(driver)` in the client's loop and wait, bounded, for its result."""
        if threading.current_thread() is self:
            raise LocalProtocolError(
                "TuyaClient methods cannot be called from on_status / on_connection (they "
                "run on the client's thread): hand the work to another thread"
            )
        if self._stopping.is_set():
            raise LocalProtocolError(_STOPPED)
        if not self.is_alive() or not self._running.wait(_START_TIMEOUT):
            raise LocalProtocolError("call start() first")
        loop, driver = self._loop, self._driver
        assert loop is not None and driver is not None
        # Connect and handshake (2 timeouts + 1 s), then the request queue (AsyncDevice
        # bounds each part itself); this outer bound only guards against a stuck loop.
        bound = 5 * self._settings.timeout + 2.0
        with tracking(self._book, driver):
            coroutine = make(driver)
            try:
                call = asyncio.run_coroutine_threadsafe(coroutine, loop)
            except RuntimeError:
                coroutine.close()
                raise LocalProtocolError(_STOPPED) from None
            self._calls.add(call)
            try:
                return call.result(bound)
            except concurrent.futures.CancelledError:
                raise LocalProtocolError(_STOPPED) from None
            except TimeoutError:
                if call.done():  # the request's own Timeout, raised by AsyncDevice
                    raise
                call.cancel()
                raise Timeout(f"no answer from {driver!r} within {bound:g} s") from None
            finally:
                self._calls.discard(call)
