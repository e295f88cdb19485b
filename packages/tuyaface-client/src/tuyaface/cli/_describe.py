"""`tuyaface describe`: what each DP of a device means, and where that came from."""

from __future__ import annotations

from typing import Any

import click

from ..model import DefinitionSet, DpSchema
from ._group import emit_json, json_option, main
from ._schema import jsonable, schema_options, target_schema
from ._select import Selection, device_options
from ._show import dp_order, table, value_text
from ._text import say

__all__ = ["describe", "schema_rows"]


def schema_rows(schema: DpSchema, status: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per DP the schema or the status knows, in DP order."""
    rows = []
    for dp in sorted({*schema.specs, *status}, key=dp_order):
        spec = schema.spec(dp)
        known = dp in schema.specs
        rows.append({
            "dp": dp,
            "code": spec.code if known else None,
            "type": spec.type.value if known else "raw (no schema)",
            "allowed": spec.allowed(unit=False) if known else None,
            "unit": spec.unit,
            "access": "ro" if spec.readonly else "rw",
            "value": jsonable(spec.decode(status[dp])) if dp in status else None,
            "raw": status.get(dp),
        })
    return rows


@main.command(short_help="Show what each DP of a device means.")
@click.argument("device_name", required=False, metavar="[NAME]")
@device_options
@schema_options
@click.option("--offline", is_flag=True, help="Do not read the device: the schema only.")
@json_option
def describe(
    selection: Selection,
    device_name: str | None,
    definitions: DefinitionSet | None,
    offline: bool,
    as_json: bool,
) -> None:
    """Show the device's DP schema: DP id, code, type, range or values, unit, access
    (rw / ro), current value, and where the schema came from.

    \b
    tuyaface describe "Hall light"
    tuyaface describe --name "Desk plug" --definitions ./definitions --json
    """
    target = selection.resolve(device_name)
    status: dict[str, Any] = {}
    if not offline:
        with target.reach() as device:  # a gateway's child through its gateway
            status = dict(device.status())
    schema = target_schema(target, definitions, status or None)
    rows = schema_rows(schema, status)
    if as_json:
        emit_json({**target.describe(), "schema": schema.source, "category": schema.category,
                   "dps": rows})
        return
    say(target.title)
    say(f"  schema: {schema.source}")
    cells = [
        (r["dp"], r["code"] or "-", r["type"], r["allowed"] or "", r["unit"] or "",
         r["access"], "" if r["dp"] not in status else value_text(r["value"]))
        for r in rows
    ]
    say(table(("DP", "CODE", "TYPE", "RANGE / VALUES", "UNIT", "ACCESS", "VALUE"), cells))
