"""Value codecs (docs/devices.md §1-2): property tests of round trips, bounds and both
colour strings; invalid values are DpValueError (also ValueError, from our tree)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuyaface import TuyaError
from tuyaface.model import (
    DpSpec,
    DpType,
    DpValueError,
    Hsv,
    decode_hsv16,
    decode_rgb8,
    encode_hsv16,
    encode_rgb8,
    hsv_from_rgb,
)

integers = st.builds(
    lambda low, span, step, scale: DpSpec(
        "7", "n", DpType.INTEGER, min=low, max=low + span * step, step=step, scale=scale
    ),
    st.integers(-1000, 1000), st.integers(1, 500), st.integers(1, 10), st.integers(0, 3),
)


@given(integers, st.data())
def test_integer_round_trip(spec: DpSpec, data: st.DataObject) -> None:
    assert spec.min is not None and spec.max is not None
    raw = spec.min + data.draw(st.integers(0, (spec.max - spec.min) // spec.step)) * spec.step
    shown = spec.decode(raw)
    assert shown == raw / 10**spec.scale
    assert spec.encode(shown) == raw
    assert spec.parse(repr(shown)) == raw


@given(integers, st.integers(1, 10**6))
def test_integer_bounds(spec: DpSpec, beyond: int) -> None:
    assert spec.min is not None and spec.max is not None
    for raw in (spec.min - beyond, spec.max + beyond):
        with pytest.raises(DpValueError, match="outside"):
            spec.encode(raw / 10**spec.scale)


@given(integers, st.integers(0, 100))
def test_percent_stays_in_range(spec: DpSpec, share: int) -> None:
    raw = spec.encode(spec.percent(f"{share}%"))
    assert spec.min is not None and spec.max is not None
    assert spec.min <= raw <= spec.max
    assert (raw - spec.min) % spec.step == 0


def test_scaled_values_and_errors_are_ours() -> None:
    power = DpSpec(19, "cur_power", DpType.INTEGER, min=0, max=50000, scale=1, unit="W")
    assert power.decode(2305) == 230.5
    assert power.parse("12.5") == 125
    with pytest.raises(DpValueError) as caught:
        power.parse("12.55")
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, TuyaError)
    assert "decimals" in str(caught.value)
    with pytest.raises(DpValueError, match="0 - 5000 W"):
        power.encode(5000.1)
    bright = DpSpec(22, "bright_value_v2", DpType.INTEGER, min=10, max=1000)
    assert bright.parse("50%") == 505
    assert bright.as_percent(1000) == 100
    with pytest.raises(DpValueError, match="10 - 1000"):
        bright.parse("5")
    with pytest.raises(DpValueError, match="read-only"):
        DpSpec(3, "t", DpType.INTEGER, readonly=True).encode(1)


@given(st.lists(st.sampled_from(["white", "colour", "scene"])), st.text())
def test_enum(values: list[str], other: str) -> None:
    spec = DpSpec(21, "work_mode", DpType.ENUM, values=("white", "colour", "scene"))
    for value in values:
        assert spec.decode(spec.encode(value)) == value
    if other not in spec.values:
        with pytest.raises(DpValueError, match="white, colour, scene"):
            spec.encode(other)


@given(st.sets(st.sampled_from(["ov_cr", "ov_vol", "ov_pwr"])))
def test_bitmap_round_trip(flags: set[str]) -> None:
    spec = DpSpec(26, "fault", DpType.BITMAP, labels=("ov_cr", "ov_vol", "ov_pwr"))
    raw = spec.encode(flags)
    assert set(spec.decode(raw)) == flags
    assert spec.decode(0b101) == ["ov_cr", "ov_pwr"]
    with pytest.raises(DpValueError):
        spec.encode(["smoke"])
    with pytest.raises(DpValueError):
        spec.encode(8)


@given(st.integers(0, 360), st.integers(0, 1000), st.integers(0, 1000))
def test_hsv16_round_trip(h: int, s: int, v: int) -> None:
    text = f"{h:04x}{s:04x}{v:04x}"
    colour = decode_hsv16(text)
    assert (colour.hue, colour.saturation, colour.value) == (h, s / 1000, v / 1000)
    assert encode_hsv16(colour) == text


@given(st.integers(0, 360), st.floats(0, 1), st.floats(0, 1))
def test_rgb8_round_trip(h: int, s: float, v: float) -> None:
    text = encode_rgb8(Hsv(h, s, v))
    assert len(text) == 14 and text[6] == "0"
    assert encode_rgb8(decode_rgb8(text)) == text
    r, g, b = (int(text[i : i + 2], 16) for i in (0, 2, 4))
    assert (r, g, b) == Hsv(h, int(text[10:12], 16) / 255, int(text[12:14], 16) / 255).rgb()


def test_colour_strings_of_the_docs() -> None:
    assert encode_hsv16(Hsv(0, 1, 1)) == "000003e803e8"  # full red
    assert encode_rgb8(Hsv(0, 1, 1)) == "ff00000000ffff"
    assert hsv_from_rgb(0, 255, 0).hue == 120
    for bad in ("000003e803e", "zz0003e803e8", "016903e803e8"):  # short, not hex, hue 361
        with pytest.raises(DpValueError):
            decode_hsv16(bad)
    with pytest.raises(DpValueError):
        Hsv(0, 1.5, 1)
    spec = DpSpec(24, "colour_data_v2", DpType.STRING, colour="hsv16")
    assert spec.parse("120,1,0.5") == "007803e801f4"
    assert spec.decode("not a colour") == "not a colour"  # kept as it came


@given(st.binary().map(lambda b: b.hex()))
def test_raw_blobs_kept(blob: str) -> None:
    spec = DpSpec(25, "blob", DpType.RAW)
    assert spec.decode(blob) == blob
    assert spec.encode(blob) == blob
