"""The one way out to a terminal: text a device or the network controls is escaped first.

DP ids and values, broadcast fields and device error texts may hold terminal escapes
(clear the screen, set the window title), bidi overrides, or lone surrogates (valid in
JSON, unprintable in UTF-8). Every command's output goes through `say` (text) or
`json_text` (JSON), so none of it reaches the terminal raw and none of it stops a command.
"""

from __future__ import annotations

import json
import re
from typing import Any

import click

__all__ = ["json_text", "printable", "say"]

# C0 controls, DEL, C1 controls, bidi marks / embeddings / overrides / isolates, the line
# and paragraph separators, and surrogates (only lone ones survive JSON decoding).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)
_UNSAFE_BUT_NEWLINE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def printable(text: str) -> str:
    """`text` with every unsafe character as a Python-style escape: ESC -> `\\x1b`."""
    return _UNSAFE.sub(_escape, text)


def say(text: str, *, err: bool = False) -> None:
    """Print one message (stdout, or stderr with `err`), its lines escaped."""
    click.echo(_UNSAFE_BUT_NEWLINE.sub(_escape, text), err=err)


def json_text(data: Any, **options: Any) -> str:
    """`data` as JSON, non-ASCII text kept but unsafe characters as `\\uXXXX` escapes
    (they only occur inside strings, where the escape means the same character)."""
    return _UNSAFE.sub(_json_escape, json.dumps(data, ensure_ascii=False, **options))
