"""What every transport provides: blocking and asyncio connections, factories, servers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

__all__ = ["AsyncServer", "AsyncTransport", "Handler", "Transport", "TransportFactory"]


@runtime_checkable
class Transport(Protocol):
    """A blocking byte stream."""

    def send(self, data: bytes) -> None:
        """Send all of `data`."""

    def receive(self, timeout: float | None) -> bytes:
        """At least one byte, `b""` at end of stream; `TransportTimeout` when nothing
        arrives within `timeout` seconds (`None`: wait forever, `0`: do not wait)."""

    def close(self) -> None:
        """Close the connection; closing twice is harmless."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


@runtime_checkable
class AsyncTransport(Protocol):
    """An asyncio byte stream: the same as `Transport`, awaited, with `aclose`."""

    async def send(self, data: bytes) -> None:
        """Send all of `data` (waits while the peer's buffers are full)."""

    async def receive(self, timeout: float | None) -> bytes:
        """At least one byte, `b""` at end of stream, `TransportTimeout` after `timeout`."""

    async def aclose(self) -> None:
        """Close the connection; closing twice is harmless."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


Handler = Callable[[AsyncTransport], Awaitable[None]]
"""Serves one accepted connection; the server closes the connection when it returns."""


@runtime_checkable
class AsyncServer(Protocol):
    """A listening server started by `TransportFactory.start_server`."""

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) it listens on; the real port when port 0 was asked for."""

    def close(self) -> None:
        """Stop accepting and cancel the running handlers."""

    async def wait_closed(self) -> None:
        """Wait until the listener and every handler have finished."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


@runtime_checkable
class TransportFactory(Protocol):
    """A named way to open connections and servers; transport plugins provide these."""

    name: str

    def connect(self, host: str, port: int, *, timeout: float) -> Transport:
        """Open a blocking connection; `TransportConnectError` when that fails."""

    async def aconnect(self, host: str, port: int, *, timeout: float) -> AsyncTransport:
        """Open an asyncio connection; `TransportConnectError` when that fails."""

    async def start_server(self, host: str, port: int, handler: Handler) -> AsyncServer:
        """Listen on (host, port) and run `handler` for each accepted connection."""
