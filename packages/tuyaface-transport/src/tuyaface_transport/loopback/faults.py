"""Fault plans for loopback connections: what happens to the bytes one side writes."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from typing import Literal

__all__ = ["CloseMode", "FaultPlan", "SecondConnection", "WritePlan", "WriteFaults"]

CloseMode = Literal["eof", "reset"]
SecondConnection = Literal["accept", "refuse", "reset", "close"]


def _indices(value: Collection[int] | None) -> frozenset[int] | None:
    return None if value is None else frozenset(value)


@dataclasses.dataclass(frozen=True)
class FaultPlan:
    """Faults applied to what one side of a loopback connection writes.

    Byte offsets count what the peer receives; write indices count `send` calls from 0.

    - `close_after`: drop the connection once the peer has received this many bytes
      (0: at the first write); the peer then sees end of stream, or a reset when
      `close_with="reset"`. The writer's later sends raise `TransportResetError`.
    - `delay`: seconds before the peer can read a write (every write, or only the
      indices in `delay_writes`); order is kept, so later writes wait behind it.
    - `one_byte_writes`: the peer receives every write one byte per `receive`.
    - `duplicate_writes`: write indices delivered twice.
    - `drop_writes`: write indices silently lost (the connection stays up).
    - `corrupt_bytes`: offsets whose byte the peer receives XOR 0xFF.
    - `stall_after`: after this many bytes nothing more arrives and the connection stays
      open: a half-open peer.
    - `second_connection` (listener plans): while one connection is open, another connect
      is refused (`TransportConnectError`), accepted then reset, or accepted then closed.
    - `connections`: apply the write faults to the first N accepted connections only.
    """

    close_after: int | None = None
    close_with: CloseMode = "eof"
    delay: float = 0.0
    delay_writes: Collection[int] | None = None
    one_byte_writes: bool = False
    duplicate_writes: Collection[int] = frozenset()
    drop_writes: Collection[int] = frozenset()
    corrupt_bytes: Collection[int] = frozenset()
    stall_after: int | None = None
    second_connection: SecondConnection = "accept"
    connections: int | None = None

    def __post_init__(self) -> None:
        for name in ("delay_writes", "duplicate_writes", "drop_writes", "corrupt_bytes"):
            object.__setattr__(self, name, _indices(getattr(self, name)))
        for name in ("close_after", "stall_after", "connections"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"FaultPlan.{name} must be >= 0 or None, not {value}")
        if self.delay < 0:
            raise ValueError(f"FaultPlan.delay must be >= 0 seconds, not {self.delay}")
        if self.close_with not in ("eof", "reset"):
            raise ValueError(
                f"FaultPlan.close_with must be 'eof' or 'reset', not {self.close_with!r}"
            )
        if self.second_connection not in ("accept", "refuse", "reset", "close"):
            raise ValueError(
                "FaultPlan.second_connection must be 'accept', 'refuse', 'reset' or 'close', "
                f"not {self.second_connection!r}"
            )

    def applies_to(self, connection_index: int) -> bool:
        """Whether the write faults apply to the accepted connection number `index` (from 0)."""
        return self.connections is None or connection_index < self.connections


@dataclasses.dataclass(frozen=True)
class WritePlan:
    """What one `send` turns into: timed chunks for the peer, then maybe a drop."""

    chunks: tuple[tuple[float, bytes], ...]
    then: CloseMode | None = None


class WriteFaults:
    """Applies a `FaultPlan` to the successive writes of one side of one connection."""

    __slots__ = ("_delivered", "_plan", "_stalled", "_writes")

    def __init__(self, plan: FaultPlan) -> None:
        self._plan = plan
        self._writes = 0
        self._delivered = 0
        self._stalled = False

    def plan(self, data: bytes, now: float) -> WritePlan:
        """The chunks (available from `now` plus any delay) that `data` becomes."""
        plan = self._plan
        index = self._writes
        self._writes += 1
        if self._stalled or index in plan.drop_writes:
            return WritePlan(())
        delayed = plan.delay_writes is None or index in plan.delay_writes
        at = now + plan.delay if delayed else now
        pieces = [data, data] if index in plan.duplicate_writes else [data]
        chunks: list[tuple[float, bytes]] = []
        then: CloseMode | None = None
        for piece in pieces:
            piece, then = self._limit(piece)
            piece = self._corrupt(piece)
            self._delivered += len(piece)
            if plan.one_byte_writes:
                chunks.extend((at, piece[i : i + 1]) for i in range(len(piece)))
            elif piece:
                chunks.append((at, piece))
            if then is not None or self._stalled:
                break
        return WritePlan(tuple(chunks), then)

    def _limit(self, piece: bytes) -> tuple[bytes, CloseMode | None]:
        plan = self._plan
        close_left = None if plan.close_after is None else plan.close_after - self._delivered
        stall_left = None if plan.stall_after is None else plan.stall_after - self._delivered
        if close_left is not None and len(piece) >= close_left and (
            stall_left is None or close_left <= stall_left
        ):
            return piece[:close_left], plan.close_with
        if stall_left is not None and len(piece) >= stall_left:
            self._stalled = True
            return piece[:stall_left], None
        return piece, None

    def _corrupt(self, piece: bytes) -> bytes:
        start = self._delivered
        hits = [o - start for o in self._plan.corrupt_bytes if start <= o < start + len(piece)]
        if not hits:
            return piece
        mutable = bytearray(piece)
        for offset in hits:
            mutable[offset] ^= 0xFF
        return bytes(mutable)
