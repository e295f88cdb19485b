"""What both gateway drivers share: the checks at construction and the book's setup."""

from __future__ import annotations

from tuyaface_codec import InvalidArgument, LocalProtocolError, Protocol, RequestKind

from .._core import DeviceCore
from ._book import ChildBook

__all__ = ["DEFAULT_SETTLE", "check_cid", "new_book", "reports_presence"]

DEFAULT_SETTLE = 0.3  # seconds without a new report frame before a presence query is done


def new_book(core: DeviceCore) -> ChildBook:
    """The child book of a gateway driver; InvalidArgument (a ValueError) when given a cid."""
    if core.cid is not None:
        raise InvalidArgument("a gateway has no cid: reach a child with gateway.child(cid)")
    return ChildBook(core.max_cached_dps, core.where, core.clock)


def reports_presence(protocol: Protocol) -> bool:
    """Whether the gateway's version has the presence query (3.4 / 3.5, §10a)."""
    try:
        protocol.command_for(RequestKind.SUB_DEVICES)
    except LocalProtocolError:
        return False
    return True


def check_cid(cid: str) -> str:
    """A child's cid, checked before any I/O."""
    if not cid or not isinstance(cid, str):
        raise InvalidArgument(f"a child's cid is a non-empty string, not {cid!r}")
    return cid
