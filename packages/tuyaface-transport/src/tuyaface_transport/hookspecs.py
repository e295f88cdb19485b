"""Hook specification of the transport. Built-ins implement it exactly like outside plugins.

The markers use the project name "tuyaface", so they interoperate with the codec's markers
and one plugin manager can hold both sets of hooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .interfaces import TransportFactory

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "tuyaface"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def tuyaface_provide_transports() -> Sequence[TransportFactory]:
    """Return the transport factories this plugin adds, each with a unique `name`."""
    raise NotImplementedError  # pragma: no cover - a spec has no body
