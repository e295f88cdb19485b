"""Looking up protocol versions among the registered plugins."""

from __future__ import annotations

from collections.abc import Sequence

import pluggy

from .crypto.backend import CryptoBackend
from .crypto.select import default_backend
from .errors import UnknownProtocolError
from .plugins import can_scan, default_plugin_manager, find, not_found_hint, scan_entry_points
from .protocol import Protocol

__all__ = ["get_protocol", "protocols"]

# (protocol, backend) -> the protocol bound to that backend: devices share one copy. Keyed
# by the objects the plugins return right now, so nothing here needs invalidating.
_bound: dict[tuple[int, int], tuple[Protocol, CryptoBackend, Protocol]] = {}
_BOUND_MAX = 64


def _registered(manager: pluggy.PluginManager) -> dict[str, Protocol]:
    found: dict[str, Protocol] = {}
    for provided in manager.hook.tuyaface_provide_protocols():
        for protocol in provided:
            found.setdefault(protocol.version, protocol)
    return found


def _provided(manager: pluggy.PluginManager, tag: str) -> Protocol | None:
    """The protocol tagged `tag` (the last registered plugin wins, as in `_registered`)."""
    provided: list[Sequence[Protocol]] = manager.hook.tuyaface_provide_protocols()
    for protocols_of_a_plugin in provided:
        for protocol in protocols_of_a_plugin:
            if protocol.version == tag:
                return protocol
    return None


def _bind(protocol: Protocol, crypto: CryptoBackend) -> Protocol:
    known = _bound.get((id(protocol), id(crypto)))
    if known is not None and known[0] is protocol and known[1] is crypto:
        return known[2]
    if len(_bound) >= _BOUND_MAX:
        _bound.clear()
    bound = protocol.with_crypto(crypto)
    _bound[(id(protocol), id(crypto))] = (protocol, crypto, bound)
    return bound


def protocols(plugin_manager: pluggy.PluginManager | None = None) -> list[str]:
    """Version tags of every registered protocol, sorted (the process manager loads the
    installed plugins first, unless an event loop runs in this thread)."""
    manager = plugin_manager or default_plugin_manager()
    if can_scan(manager):
        scan_entry_points(manager)
    return sorted(_registered(manager))


def get_protocol(
    tag: str,
    *,
    crypto: CryptoBackend | None = None,
    plugin_manager: pluggy.PluginManager | None = None,
) -> Protocol:
    """The protocol for version tag `tag` (a string such as "3.3"), bound to a crypto
    backend (`crypto`, else the default one); UnknownProtocolError (a LookupError) if no
    plugin provides it."""
    if not isinstance(tag, str):
        raise UnknownProtocolError(f"protocol versions are strings such as '3.3', not {tag!r}")
    manager = plugin_manager or default_plugin_manager()
    protocol = find(manager, lambda m: _provided(m, tag))
    if protocol is None:
        raise UnknownProtocolError(
            f"unknown protocol version {tag!r}; known: {', '.join(sorted(_registered(manager)))}"
            + not_found_hint(manager)
        )
    return _bind(protocol, crypto or default_backend(manager))
