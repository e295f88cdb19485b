"""The `loopback` transport plugin (it lives in `tuyaface_transport._loopback_plugin`, so that
registering it does not load this package)."""

from __future__ import annotations

from .._loopback_plugin import FACTORY, LoopbackFactory, tuyaface_provide_transports

__all__ = ["FACTORY", "LoopbackFactory", "tuyaface_provide_transports"]
