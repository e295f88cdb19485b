"""resolve_protocol / resolve_transport remember their answer only while the plugins that
gave it are unchanged."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from tuyaface.plugins import make_plugin_manager, resolve_protocol, resolve_transport
from tuyaface_codec import Protocol, UnknownProtocolError, get_protocol
from tuyaface_codec.hookspecs import hookimpl
from tuyaface_transport.aio import AsyncioFactory
from tuyaface_transport.hookspecs import hookimpl as transport_hookimpl


class _Version99:
    @hookimpl
    def tuyaface_provide_protocols(self) -> list[Protocol]:
        return [attrs.evolve(get_protocol("3.3"), version="9.9")]


class _OtherAsyncio(AsyncioFactory):
    name = "other"


class _OtherTransport:
    @transport_hookimpl
    def tuyaface_provide_transports(self) -> list[Any]:
        return [_OtherAsyncio()]


def test_devices_share_one_protocol_object() -> None:
    assert resolve_protocol("3.4") is resolve_protocol("3.4")
    manager = make_plugin_manager(load_entry_points=False)
    assert resolve_protocol("3.4", manager) is resolve_protocol("3.4", manager)


def test_a_plugin_registered_later_is_found() -> None:
    manager = make_plugin_manager(load_entry_points=False)
    before = resolve_protocol("3.3", manager)
    with pytest.raises(UnknownProtocolError):
        resolve_protocol("9.9", manager)
    manager.register(_Version99(), name="v99")
    assert resolve_protocol("9.9", manager).version == "9.9"
    assert resolve_protocol("3.3", manager) is not before  # looked up again


def test_a_transport_registered_later_is_found() -> None:
    manager = make_plugin_manager(load_entry_points=False)
    assert resolve_transport("asyncio", manager).name == "asyncio"
    manager.register(_OtherTransport(), name="other")
    assert resolve_transport("other", manager).name == "other"
