"""`tuyaface set [NAME] CODE=VALUE ... | DP VALUE ...`: change DP values in one request;
CODE=VALUE in user units, checked against the schema before anything is sent."""

from __future__ import annotations

import json
import math
from typing import Any

import click

from ..model import DefinitionSet, DpSchema, DpValueError
from ._group import emit_json, json_option, main
from ._schema import schema_options, status_helps, target_schema
from ._select import Selection, device_options
from ._show import value_text
from ._text import say

__all__ = ["parse_pairs", "parse_value", "set_dps", "split_arguments"]


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


def _is_dp(token: str) -> bool:
    return token.isascii() and token.isdigit()


def split_arguments(
    tokens: tuple[str, ...], named_device: bool
) -> tuple[str | None, dict[str, Any], dict[str, str]]:
    """(NAME or None, raw `DP VALUE` pairs, `CODE=VALUE` texts). The first token is the
    device's name when no --name / --id was given and it is neither a DP nor CODE=VALUE."""
    name = None
    rest = list(tokens)
    if not named_device and rest and "=" not in rest[0] and not _is_dp(rest[0]):
        name = rest.pop(0)
    if not any("=" in token and not _is_dp(token) for token in rest):
        return name, parse_pairs(tuple(rest)), {}
    pairs: list[str] = []
    named: dict[str, str] = {}
    while rest:
        token = rest.pop(0)
        if _is_dp(token):
            pairs += [token, rest.pop(0)] if rest else [token]
            continue
        code, equals, value = token.partition("=")
        if not equals or not code:
            raise click.BadParameter(
                f"{token!r} is neither CODE=VALUE nor a DP id", param_hint="CODE=VALUE"
            )
        if code in named:
            raise click.BadParameter(f"{code} is given twice", param_hint="CODE=VALUE")
        named[code] = value
    return name, parse_pairs(tuple(pairs)) if pairs else {}, named


def _encode(schema: DpSchema, named: dict[str, str]) -> dict[str, Any]:
    """CODE=VALUE texts as raw DPs; a rejected value is a usage error (exit 2)."""
    try:
        return schema.parse(named)
    except DpValueError as exc:
        raise click.BadParameter(
            f"{exc} (schema: {schema.source}); nothing was sent", param_hint="CODE=VALUE"
        ) from None


@main.command(
    name="set", short_help="Set DP values.", context_settings={"ignore_unknown_options": True}
)
@device_options
@schema_options
@click.argument("pairs", nargs=-1, metavar="[NAME] CODE=VALUE... | DP VALUE...")
@click.option(
    "--wait", type=click.FloatRange(min=0), default=1.0, show_default=True,
    help="Seconds to wait for the device to confirm the new values (0: do not wait).",
)
@json_option
def set_dps(
    selection: Selection,
    definitions: DefinitionSet | None,
    pairs: tuple[str, ...],
    wait: float,
    as_json: bool,
) -> None:
    """Set DP values. CODE=VALUE takes user units, checked against the device's schema
    (`tuyaface describe`) before anything is sent: on / off, 50% (of the range), 21.5
    (scaled), enum words, H,S,V for colours. DP VALUE pairs are raw values, sent as given:
    VALUE is read as JSON where it can be (true, 50, "50", null), else taken as text.

    \b
    tuyaface set "Hall light" bright_value_v2=50% switch_led=on
    tuyaface set --name Heater temp_set=21.5
    tuyaface set --name "Desk plug" 1 true
    tuyaface set --name Bulb 20 true 21 colour 22 500
    """
    named_device = selection.name is not None or selection.dev_id is not None
    name, dps, named = split_arguments(pairs, named_device)
    target = selection.resolve(name)
    schema = target_schema(target, definitions)
    with target.reach() as device:  # no I/O until the first call
        if named and status_helps(target, definitions, schema, named):
            schema = target_schema(target, definitions, device.status())
        dps = {**dps, **_encode(schema, named)}
        labels = {schema.spec(code).dp: schema.spec(code).label for code in named}
        device.set_status(dps)
        push = device.wait_for_push(wait) if wait else None
    confirmed = None if push is None else push.dps
    if as_json:
        emit_json({**target.describe(), "set": dps, "dps": confirmed})
        return
    say(target.title)
    for dp, value in dps.items():
        say(f"  set {labels.get(dp, dp)} = {value_text(value)}")
    if confirmed is not None:
        say(f"  device reports {value_text(confirmed)}")
    elif wait:
        say(f"  (no report from the device within {wait:g} s)")
