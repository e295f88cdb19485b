"""Bounded work per loop turn: what one read brings is handled a slice at a time.

A transport can hand over a megabyte in one read (the asyncio transport buffers up to
`HIGH_WATER` before pausing; loopback hands over whole writes). Decoding all of it in one
go stalls every other connection on the loop, so both drivers feed their session at most
`READ_SLICE` bytes per turn and let the loop run between slices (issue 10, item 11).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

__all__ = ["READ_SLICE", "feed_in_turns"]

# At most READ_SLICE // 24 + 1 frames per turn (24 bytes: the smallest 55AA frame), about
# 20 real pushes or replies of a few hundred bytes each.
READ_SLICE = 4096


async def feed_in_turns(data: bytes, feed: Callable[[bytes], Awaitable[bool]]) -> None:
    """Hand `data` to `feed` in order, `READ_SLICE` bytes at a time, yielding to the loop
    between slices; stop early once `feed` returns False (the connection ended)."""
    if len(data) <= READ_SLICE:  # the usual case: one reply, one request
        await feed(data)
        return
    for start in range(0, len(data), READ_SLICE):
        if start:
            await asyncio.sleep(0)
        if not await feed(data[start : start + READ_SLICE]):
            return
