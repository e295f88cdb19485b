"""Parts shared by several version plugins."""

from __future__ import annotations

from ..commands import Command
from ..protocol import HeaderRule

__all__ = ["STANDARD_HEADER_RULE"]

# docs/protocol.md §5.1: every command but these carries the version header.
STANDARD_HEADER_RULE = HeaderRule(
    frozenset(
        {
            Command.DP_QUERY,
            Command.DP_QUERY_NEW,
            Command.UPDATEDPS,
            Command.HEART_BEAT,
            Command.SESS_KEY_NEG_START,
            Command.SESS_KEY_NEG_RESP,
            Command.SESS_KEY_NEG_FINISH,
            Command.LAN_EXT_STREAM,
        }
    )
)
