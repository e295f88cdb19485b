"""Plain-text rendering shared by the commands (JSON output needs none)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._text import json_text, printable

__all__ = ["dp_order", "dps_table", "table", "value_text"]


def value_text(value: Any) -> str:
    """A DP value as JSON text, fit for a terminal (`json_text` escapes what is unsafe):
    `true`, `50`, `"white"`."""
    return json_text(value)


def dp_order(dp: str) -> tuple[int, int, str]:
    """Sort key: numeric DP ids in numeric order, others after them. Compared as text
    (shorter first), not with int(): a device may send 5,000 digits, or "²" (a digit
    to `str.isdigit`, not to `int`)."""
    if dp.isascii() and dp.isdigit():
        digits = dp.lstrip("0")
        return (0, len(digits), digits)
    return (1, 0, dp)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> str:
    """Left-aligned columns under `headers`, every cell escaped (`printable`)."""
    rows = [[printable(cell) for cell in row] for row in rows]
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in [headers, *rows]
    ]
    return "\n".join(indent + line.rstrip() for line in lines)


def dps_table(dps: Mapping[str, Any]) -> str:
    """DP ids and values as a two-column table."""
    rows = [(dp, value_text(dps[dp])) for dp in sorted(dps, key=dp_order)]
    return table(("DP", "VALUE"), rows)
