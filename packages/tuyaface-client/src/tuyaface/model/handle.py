"""What a typed device drives: any object with `status()`, `set_status()`, `refresh()` and
`dps` (`Device`, `AsyncDevice`, a gateway child handle), blocking or asyncio. Typed device
operations are written once as generators that yield requests (sans-IO); `run` drives
them with blocking calls or with awaits."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Generator, Iterable
from typing import Any, Protocol, TypeAlias, TypeVar, runtime_checkable

__all__ = ["DpHandle", "Op", "Request", "is_async", "run"]

T = TypeVar("T")

# ("status", None) | ("set", {dp: raw}) | ("refresh", [dp, ...]) | ("query", [dp, ...])
Request: TypeAlias = tuple[str, Any]
Op: TypeAlias = Generator[Request, Any, T]


@runtime_checkable
class DpHandle(Protocol):
    """A device's raw DPs; each method may return a value or an awaitable."""

    def status(self) -> Any: ...

    def set_status(self, dps: dict[str, Any]) -> Any: ...

    def refresh(self, dps: Iterable[int | str]) -> Any: ...

    @property
    def dps(self) -> dict[str, Any]: ...


def is_async(handle: DpHandle) -> bool:
    """True when the handle's calls are coroutines (AsyncDevice and the like)."""
    return inspect.iscoroutinefunction(handle.status)


def _call(handle: DpHandle, request: Request) -> Any:
    kind, argument = request
    if kind == "status":
        return handle.status()
    if kind == "set":
        return handle.set_status(argument)
    if kind == "query":
        return handle.query(argument)  # type: ignore[attr-defined]
    return handle.refresh(argument)


def _run_blocking(handle: DpHandle, op: Op[T]) -> T:
    try:
        request = next(op)
        while True:
            request = op.send(_call(handle, request))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def _run_async(handle: DpHandle, op: Op[T]) -> T:
    try:
        request = next(op)
        while True:
            request = op.send(await _call(handle, request))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def run(handle: DpHandle, op: Op[T]) -> T | Awaitable[T]:
    """Drive `op` over `handle`: its result, or an awaitable of it for an async handle."""
    return _run_async(handle, op) if is_async(handle) else _run_blocking(handle, op)
