"""`tuyaface set DP VALUE [DP VALUE ...]`: change DP values in one request."""

from __future__ import annotations

import json
import math
from typing import Any

import click

from ._group import emit_json, json_option, main
from ._select import Selection, device_options
from ._show import value_text
from ._text import say

__all__ = ["parse_pairs", "parse_value", "set_dps"]


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a DP value")


def parse_value(text: str) -> Any:
    """VALUE as JSON where it is (`true`, `50`, `"50"`, `null`, `[1, 2]`), else the text
    itself (`white`). NaN and Infinity stay text: a device cannot take them."""
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except ValueError:
        return text
    if isinstance(value, float) and not math.isfinite(value):  # 1e999
        return text
    return value


def parse_pairs(pairs: tuple[str, ...]) -> dict[str, Any]:
    """`("1", "true", "2", "50")` -> `{"1": True, "2": 50}`; usage errors say what is wrong."""
    if not pairs or len(pairs) % 2:
        raise click.BadParameter(
            "give DP VALUE pairs, e.g. `set 1 true 2 50`"
            + (f" (the last DP, {pairs[-1]}, has no VALUE)" if pairs else ""),
            param_hint="DP VALUE",
        )
    dps: dict[str, Any] = {}
    for dp, value in zip(pairs[::2], pairs[1::2], strict=True):
        if not dp.isdigit() or dp.startswith("0") or not dp.isascii():
            raise click.BadParameter(
                f"{dp!r} is not a DP id: DP ids are numbers such as 1 or 20",
                param_hint="DP",
            )
        if dp in dps:
            raise click.BadParameter(f"DP {dp} is given twice", param_hint="DP")
        dps[dp] = parse_value(value)
    return dps


@main.command(
    name="set", short_help="Set DP values.", context_settings={"ignore_unknown_options": True}
)
@device_options
@click.argument("pairs", nargs=-1, metavar="DP VALUE [DP VALUE]...")
@click.option(
    "--wait", type=click.FloatRange(min=0), default=1.0, show_default=True,
    help="Seconds to wait for the device to confirm the new values (0: do not wait).",
)
@json_option
def set_dps(selection: Selection, pairs: tuple[str, ...], wait: float, as_json: bool) -> None:
    """Set DP values: VALUE is read as JSON where it can be (true, 50, "50", null),
    else taken as text (white).

    \b
    tuyaface set --name "Desk plug" 1 true
    tuyaface set --name Bulb 20 true 21 colour 22 500
    tuyaface set --name Heater 5 -3
    """
    dps = parse_pairs(pairs)
    target = selection.resolve()
    with target.reach() as device:
        device.set_status(dps)
        push = device.wait_for_push(wait) if wait else None
    confirmed = None if push is None else push.dps
    if as_json:
        emit_json({**target.describe(), "set": dps, "dps": confirmed})
        return
    say(target.title)
    for dp, value in dps.items():
        say(f"  set {dp} = {value_text(value)}")
    if confirmed is not None:
        say(f"  device reports {value_text(confirmed)}")
    elif wait:
        say(f"  (no report from the device within {wait:g} s)")
