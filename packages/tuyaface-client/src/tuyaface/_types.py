"""Type aliases shared by the client modules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["DpsInput"]

# DP ids as strings or integers: {"1": True}, {1: True} or a mix. (Mapping is invariant in
# its key type, so a dict[str, Any] is not a Mapping[str | int, Any]: list all three.)
DpsInput = Mapping[str, Any] | Mapping[int, Any] | Mapping[str | int, Any]
