"""Tuya's two colour strings (docs/devices.md §2, "Colour strings").

- hsv16 (v2 lights): `hhhhssssvvvv`, hue 0-360, saturation and value 0-1000, 4 hex digits each.
- rgb8 (v1 lights): `rrggbb0hhhssvv`, red / green / blue 0-255, hue 0-360 as `0hhh`,
  saturation and value 0-255 in two hex digits each.
"""

from __future__ import annotations

import colorsys
import re

import attrs

from .errors import DpValueError

__all__ = ["Hsv", "decode_hsv16", "decode_rgb8", "encode_hsv16", "encode_rgb8", "hsv_from_rgb"]

_HSV16 = re.compile(r"[0-9a-fA-F]{12}")
_RGB8 = re.compile(r"[0-9a-fA-F]{14}")


def _check(name: str, value: float, high: float) -> None:
    if not 0 <= value <= high:
        raise DpValueError(f"{name} {value} is outside 0 - {high:g}")


@attrs.frozen
class Hsv:
    """A colour: hue in degrees (0-360), saturation and value as fractions (0-1)."""

    hue: float
    saturation: float
    value: float

    def __attrs_post_init__(self) -> None:
        _check("hue", self.hue, 360)
        _check("saturation", self.saturation, 1)
        _check("value", self.value, 1)

    def rgb(self) -> tuple[int, int, int]:
        """Red, green, blue 0-255."""
        r, g, b = colorsys.hsv_to_rgb((self.hue % 360) / 360, self.saturation, self.value)
        return round(r * 255), round(g * 255), round(b * 255)


def hsv_from_rgb(red: int, green: int, blue: int) -> Hsv:
    """The Hsv of red, green, blue 0-255."""
    for name, part in (("red", red), ("green", green), ("blue", blue)):
        _check(name, part, 255)
    h, s, v = colorsys.rgb_to_hsv(red / 255, green / 255, blue / 255)
    return Hsv(h * 360, s, v)


def encode_hsv16(colour: Hsv) -> str:
    """`hhhhssssvvvv`: full red is `000003e803e8`."""
    return (
        f"{round(colour.hue):04x}{round(colour.saturation * 1000):04x}"
        f"{round(colour.value * 1000):04x}"
    )


def decode_hsv16(text: str) -> Hsv:
    """The Hsv of an hsv16 string; DpValueError if it is not one."""
    if not isinstance(text, str) or not _HSV16.fullmatch(text):
        raise DpValueError(f"{text!r} is not an hsv16 colour (12 hex digits hhhhssssvvvv)")
    h, s, v = (int(text[i : i + 4], 16) for i in (0, 4, 8))
    if h > 360 or s > 1000 or v > 1000:
        raise DpValueError(f"{text!r}: hue 0-360, saturation and value 0-1000")
    return Hsv(h, s / 1000, v / 1000)


def encode_rgb8(colour: Hsv) -> str:
    """`rrggbb0hhhssvv`: red, green, blue, then hue, saturation, value (the rgb part is
    computed from the hsv part as sent, so the string reads back the same)."""
    hue, sat, val = round(colour.hue), round(colour.saturation * 255), round(colour.value * 255)
    r, g, b = Hsv(hue, sat / 255, val / 255).rgb()
    return f"{r:02x}{g:02x}{b:02x}{hue:04x}{sat:02x}{val:02x}"


def decode_rgb8(text: str) -> Hsv:
    """The Hsv of an rgb8 string (read from its hsv part); DpValueError if not one."""
    if not isinstance(text, str) or not _RGB8.fullmatch(text):
        raise DpValueError(f"{text!r} is not an rgb8 colour (14 hex digits rrggbb0hhhssvv)")
    h = int(text[6:10], 16)
    if h > 360:
        raise DpValueError(f"{text!r}: hue 0-360")
    return Hsv(h, int(text[10:12], 16) / 255, int(text[12:14], 16) / 255)
