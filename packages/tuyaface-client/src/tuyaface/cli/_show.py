"""Plain-text rendering shared by the commands (JSON output needs none)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["dp_order", "dps_table", "table", "value_text"]


def value_text(value: Any) -> str:
    """A DP value as JSON text: `true`, `50`, `"white"`."""
    return json.dumps(value, ensure_ascii=False)


def dp_order(dp: str) -> tuple[int, str]:
    """Sort key: numeric DP ids in numeric order, others after them."""
    return (int(dp), "") if dp.isdigit() else (1 << 31, dp)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> str:
    """Left-aligned columns under `headers`."""
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
