"""Looking up protocol versions among the registered plugins."""

from __future__ import annotations

from .crypto.backend import CryptoBackend
from .crypto.select import default_backend
from .errors import UnknownProtocolError
from .plugins import default_plugin_manager
from .protocol import Protocol

__all__ = ["get_protocol", "protocols"]


def _registered() -> dict[str, Protocol]:
    found: dict[str, Protocol] = {}
    for provided in default_plugin_manager().hook.tuyaface_provide_protocols():
        for protocol in provided:
            found.setdefault(protocol.version, protocol)
    return found


def protocols() -> list[str]:
    """Version tags of every registered protocol, sorted."""
    return sorted(_registered())


def get_protocol(tag: str, *, crypto: CryptoBackend | None = None) -> Protocol:
    """The protocol for version tag `tag` (a string such as "3.3"), bound to a crypto
    backend (`crypto`, else the default one)."""
    if not isinstance(tag, str):
        raise UnknownProtocolError(f"protocol versions are strings such as '3.3', not {tag!r}")
    try:
        protocol = _registered()[tag]
    except KeyError:
        raise UnknownProtocolError(
            f"unknown protocol version {tag!r}; known: {', '.join(protocols())}"
        ) from None
    return protocol.with_crypto(crypto or default_backend())
