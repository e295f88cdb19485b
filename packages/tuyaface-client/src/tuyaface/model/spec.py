"""One DP's meaning (`DpSpec`) and its value codec: raw DP values to user values and back,
checked before any I/O (docs/devices.md §1)."""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Iterable
from typing import Any

import attrs

from .colour import Hsv, decode_hsv16, decode_rgb8, encode_hsv16, encode_rgb8
from .errors import DpValueError

__all__ = ["DpSpec", "DpType"]

_TRUE = {"true", "on", "1", "yes", "open"}
_FALSE = {"false", "off", "0", "no", "closed"}
_COLOURS = {"hsv16": (decode_hsv16, encode_hsv16), "rgb8": (decode_rgb8, encode_rgb8)}


class DpType(enum.Enum):
    """What kind of value a DP holds."""

    BOOLEAN = "boolean"
    INTEGER = "integer"
    ENUM = "enum"
    STRING = "string"
    JSON = "json"
    BITMAP = "bitmap"
    RAW = "raw"


@attrs.frozen
class DpSpec:
    """A DP: id, code, type and limits. Integer limits (`min`, `max`, `step`) are raw
    units; shown value = raw / 10**scale. `colour` ("hsv16" / "rgb8") makes a string DP
    read as `Hsv`."""

    dp: str = attrs.field(converter=str)
    code: str
    type: DpType = DpType.RAW
    min: int | None = None
    max: int | None = None
    step: int = 1
    scale: int = 0
    unit: str | None = None
    values: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    readonly: bool = False
    colour: str | None = None

    # -- reading ---------------------------------------------------------------------

    def decode(self, raw: Any) -> Any:
        """The user value of a raw DP value; a value that does not fit the spec is
        returned as it came (devices do not always follow their own schema)."""
        try:
            return self._decode(raw)
        except (DpValueError, TypeError, ValueError):
            return raw

    def _decode(self, raw: Any) -> Any:
        if self.colour in _COLOURS and isinstance(raw, str):
            return _COLOURS[self.colour][0](raw)
        if self.type is DpType.INTEGER and isinstance(raw, int) and not isinstance(raw, bool):
            return raw / 10**self.scale if self.scale else raw
        if self.type is DpType.BITMAP and isinstance(raw, int):
            return [name for bit, name in enumerate(self.labels) if raw >> bit & 1]
        if self.type is DpType.JSON and isinstance(raw, str) and raw[:1] in ("{", "["):
            return json.loads(raw)
        return raw

    # -- writing ---------------------------------------------------------------------

    def encode(self, value: Any) -> Any:
        """The raw DP value for a user value; DpValueError (nothing sent) if invalid."""
        if self.readonly:
            raise DpValueError(f"{self.label} is read-only")
        return self._encode(value)

    def _encode(self, value: Any) -> Any:
        if self.colour in _COLOURS and isinstance(value, Hsv):
            return _COLOURS[self.colour][1](value)
        encoder = _ENCODERS.get(self.type)
        return value if encoder is None else encoder(self, value)

    def parse(self, text: str) -> Any:
        """The raw DP value for a value typed by a user (`on`, `50%`, `21.5`, `white`)."""
        if self.type is DpType.BOOLEAN:
            word = text.strip().lower()
            if word in _TRUE | _FALSE:
                return self.encode(word in _TRUE)
        elif self.type is DpType.INTEGER:
            return self.encode(self.percent(text) if text.endswith("%") else _number(self, text))
        elif self.type is DpType.BITMAP:
            return self.encode([name for name in text.split(",") if name])
        elif self.type is DpType.JSON and text[:1] in ("{", "["):
            return self.encode(_json(self, text))
        elif self.colour in _COLOURS and "," in text:
            return self.encode(_hsv_text(self, text))
        return self.encode(text)

    def percent(self, text_or_value: str | float) -> float:
        """The user value at a percentage of an integer DP's range (`50%` of 10-1000 is
        505)."""
        text = str(text_or_value).rstrip("%")
        share = _number(self, text)
        if self.min is None or self.max is None:
            raise DpValueError(f"{self.label} has no range: give a number, not a percentage")
        if not 0 <= share <= 100:
            raise DpValueError(f"{self.label}: a percentage is 0% - 100%, not {text}%")
        raw = self.min + round((self.max - self.min) * share / 100 / self.step) * self.step
        return raw / 10**self.scale if self.scale else raw

    def as_percent(self, raw: Any) -> float | None:
        """An integer DP's raw value as a percentage of its range (None without one)."""
        if self.min is None or self.max is None or self.max == self.min:
            return None
        if not isinstance(raw, int | float) or isinstance(raw, bool):
            return None
        return round((raw - self.min) * 100 / (self.max - self.min), 1)

    # -- describing ------------------------------------------------------------------

    @property
    def label(self) -> str:
        """How messages name the DP: `bright_value_v2 (DP 22)`."""
        return f"{self.code} (DP {self.dp})" if self.code != self.dp else f"DP {self.dp}"

    def allowed(self, *, unit: bool = True) -> str:
        """What the DP accepts, in user units (with the unit unless `unit=False`), for
        messages and `describe`."""
        if self.type is DpType.INTEGER:
            low, high = (self._shown(v) for v in (self.min, self.max))
            unit_text = f" {self.unit}" if self.unit and unit else ""
            step = f", step {self._shown(self.step)}" if self.step != 1 else ""
            return f"{low} - {high}{unit_text}{step}"
        if self.type is DpType.ENUM:
            return ", ".join(self.values)
        if self.type is DpType.BITMAP:
            return "flags: " + ", ".join(self.labels)
        if self.type is DpType.BOOLEAN:
            return "on / off"
        if self.colour in _COLOURS:
            return f"colour ({self.colour}): H,S,V as 0-360,0-1,0-1"
        return str(self.type.value)

    def _shown(self, raw: int | None) -> str:
        if raw is None:
            return "?"
        return f"{raw / 10**self.scale:g}" if self.scale else str(raw)


def _number(spec: DpSpec, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DpValueError(f"{spec.label}: {text!r} is not a number ({spec.allowed()})") from None
    if not math.isfinite(value):
        raise DpValueError(f"{spec.label}: {text!r} is not a number ({spec.allowed()})")
    return value


def _json(spec: DpSpec, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise DpValueError(f"{spec.label}: {text!r} is not JSON") from None


def _hsv_text(spec: DpSpec, text: str) -> Hsv:
    parts = text.split(",")
    if len(parts) != 3:
        raise DpValueError(f"{spec.label}: give a colour as H,S,V (e.g. 120,1,0.5)")
    h, s, v = (_number(spec, part) for part in parts)
    return Hsv(h, s, v)


def _boolean(spec: DpSpec, value: Any) -> bool:
    if not isinstance(value, bool):
        raise DpValueError(f"{spec.label} takes on / off (true / false), not {value!r}")
    return value


def _integer(spec: DpSpec, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DpValueError(f"{spec.label} takes a number ({spec.allowed()}), not {value!r}")
    scaled = value * 10**spec.scale
    raw = round(scaled)
    if not math.isfinite(scaled) or abs(scaled - raw) > 1e-6 * max(1, abs(scaled)):
        raise DpValueError(f"{spec.label}: {value} has too many decimals ({spec.allowed()})")
    low = spec.min if spec.min is not None else raw
    high = spec.max if spec.max is not None else raw
    if not low <= raw <= high:
        raise DpValueError(f"{spec.label}: {value:g} is outside {spec.allowed()}")
    if spec.step > 1 and (raw - low) % spec.step:
        raise DpValueError(f"{spec.label}: {value} is not on a step ({spec.allowed()})")
    return int(raw)


def _enum(spec: DpSpec, value: Any) -> str:
    if not isinstance(value, str) or (spec.values and value not in spec.values):
        raise DpValueError(f"{spec.label}: {value!r} is not one of {spec.allowed()}")
    return value


def _string(spec: DpSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise DpValueError(f"{spec.label} takes text, not {value!r}")
    return value


def _json_value(spec: DpSpec, value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, separators=(",", ":"))
    except (TypeError, ValueError):
        raise DpValueError(f"{spec.label} takes JSON, not {value!r}") from None


def _bitmap(spec: DpSpec, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < 1 << max(len(spec.labels), 1):
            raise DpValueError(f"{spec.label}: {value} has bits beyond {spec.allowed()}")
        return int(value)
    names: Iterable[Any] = value if isinstance(value, list | tuple | set | frozenset) else ()
    if not names and not isinstance(value, list | tuple | set | frozenset):
        raise DpValueError(f"{spec.label} takes flag names ({spec.allowed()}), not {value!r}")
    raw = 0
    for name in names:
        if name not in spec.labels:
            raise DpValueError(f"{spec.label}: {name!r} is not one of {spec.allowed()}")
        raw |= 1 << spec.labels.index(name)
    return raw


_ENCODERS = {
    DpType.BOOLEAN: _boolean,
    DpType.INTEGER: _integer,
    DpType.ENUM: _enum,
    DpType.STRING: _string,
    DpType.JSON: _json_value,
    DpType.BITMAP: _bitmap,
}
