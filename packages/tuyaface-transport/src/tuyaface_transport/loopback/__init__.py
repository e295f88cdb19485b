"""In-memory connections with fault injection, usable from threads and event loops."""

from __future__ import annotations

from .faults import CloseMode, FaultPlan, SecondConnection
from .listener import LoopbackListener, get_listener
from .plugin import LoopbackFactory
from .transport import AsyncLoopbackTransport, LoopbackTransport, loopback_pair

__all__ = [
    "AsyncLoopbackTransport",
    "CloseMode",
    "FaultPlan",
    "LoopbackFactory",
    "LoopbackListener",
    "LoopbackTransport",
    "SecondConnection",
    "get_listener",
    "loopback_pair",
]
