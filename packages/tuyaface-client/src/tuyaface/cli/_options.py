"""Option types shared by several commands."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    _ParamType = click.ParamType[dict[str, Any]]
    _IdsParamType = click.ParamType[tuple[str, ...]]
else:  # click < 8.2 has no type parameter at run time
    _ParamType = _IdsParamType = click.ParamType

__all__ = ["DpIdsParam", "DpsParam", "VERSIONS"]

VERSIONS = ("3.1", "3.2", "3.3", "3.4", "3.5")


class DpsParam(_ParamType):
    """DP values as a JSON object: `'{"1": true, "2": 50}'`."""

    name = "json-object"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dict):
            return value
        try:
            dps = json.loads(value)
        except ValueError as exc:
            self.fail(f"not JSON ({exc}); write it like '{{\"1\": true}}'", param, ctx)
        if not isinstance(dps, dict):
            self.fail("give a JSON object such as '{\"1\": true}'", param, ctx)
        return {str(dp): v for dp, v in dps.items()}


class DpIdsParam(_IdsParamType):
    """DP ids as a comma-separated list: `1,2,3,20`."""

    name = "dp-ids"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        ids = tuple(part.strip() for part in str(value).split(",") if part.strip())
        if not ids or not all(dp.isascii() and dp.isdigit() for dp in ids):
            self.fail(f"{value!r} is not a list of DP ids such as 1,2,3,20", param, ctx)
        return ids
