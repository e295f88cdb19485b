"""Reading device JSON defensively (docs/reliability.md R13)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from json.scanner import make_scanner
from typing import Any

from .errors import PayloadError

__all__ = ["extract_dps", "parse_json_object"]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


# One decoder for every call: json.loads with hooks builds a new one each time (slow).
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
# the scanner the decoder itself uses (typeshed types its argument oddly)
_SCAN = make_scanner(_DECODER)  # type: ignore[arg-type]
_JSON_WHITESPACE = " \t\n\r"


def parse_json_object(body: bytes) -> dict[str, Any]:
    """A JSON object from device bytes; PayloadError for anything else (bad UTF-8, deep
    nesting, NaN or infinite numbers, integers over the interpreter's digit limit, a
    non-object)."""
    try:
        text = body.decode("utf-8")
        # The C scanner itself, without decode()'s two whitespace regexes and raw_decode's
        # Python frame (-0.3 us of 2.8: decode -5%), and without testing the first character
        # first (paired: parse -4 to -6%, 3.1 decode -2%): anything but an object at char 0
        # goes through decode().
        try:
            value, end = _SCAN(text, 0)
        except StopIteration as stop:  # no value at char 0 (whitespace?), or a bad one inside
            if stop.value:
                raise json.JSONDecodeError("Expecting value", text, stop.value) from None
            value = None
        if value.__class__ is dict:
            if end != len(text) and text[end:].strip(_JSON_WHITESPACE):
                raise ValueError(f"extra data after the object at char {end}")
            return value
        value = _DECODER.decode(text)  # for its whitespace handling and its messages
    except UnicodeDecodeError as exc:  # its text would quote a byte of the payload
        raise PayloadError(
            f"device sent a payload that is not UTF-8 text (at byte {exc.start}): "
            "wrong local key or protocol version?"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise PayloadError(f"device sent a payload that is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise PayloadError(f"device sent JSON {type(value).__name__}, expected an object")
    return value


def extract_dps(message: Mapping[str, Any]) -> dict[str, Any]:
    """The DP values of a status message: top-level `dps`, else `data.dps` (3.4 / 3.5 pushes).

    PayloadError when `dps` is not a JSON object.
    """
    dps = message.get("dps")
    if dps is None:
        data = message.get("data")
        dps = data.get("dps") if isinstance(data, dict) else None
    if dps is None:
        return {}
    if not isinstance(dps, dict):
        raise PayloadError(f"'dps' is a {type(dps).__name__}, expected an object")
    return dps
