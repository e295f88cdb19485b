"""Option types shared by several commands."""

from __future__ import annotations

import json
from typing import Any

import click

__all__ = ["DpsParam", "VERSIONS"]

VERSIONS = ("3.1", "3.2", "3.3", "3.4", "3.5")


class DpsParam(click.ParamType):
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
