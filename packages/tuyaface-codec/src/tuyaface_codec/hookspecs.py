"""Hook specifications of the codec. Built-ins implement them exactly like outside plugins."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .crypto.backend import CryptoBackend
    from .protocol import Protocol

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "tuyaface"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def tuyaface_provide_protocols() -> Sequence[Protocol]:
    """Return the protocol versions this plugin adds (each with a unique `version` tag)."""
    raise NotImplementedError  # pragma: no cover - a spec has no body


@hookspec
def tuyaface_provide_crypto_backends() -> Sequence[CryptoBackend]:
    """Return the crypto backends this plugin adds; the highest `priority` is the default."""
    raise NotImplementedError  # pragma: no cover - a spec has no body
