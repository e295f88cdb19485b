"""Option types shared by several commands."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from tuyaface_codec import UnknownProtocolError

from ..plugins import protocol_versions, resolve_protocol

if TYPE_CHECKING:
    _ParamType = click.ParamType[dict[str, Any]]
    _IdsParamType = click.ParamType[tuple[str, ...]]
    _ChoiceType = click.Choice[str]
else:  # click < 8.2 has no type parameter at run time
    _ParamType = _IdsParamType = click.ParamType
    _ChoiceType = click.Choice

__all__ = ["DpIdsParam", "DpsParam", "VersionChoice", "known_version"]


def known_version(tag: str) -> bool:
    """True when a registered plugin provides protocol version `tag`."""
    try:
        resolve_protocol(tag)
    except UnknownProtocolError:
        return False
    return True


class VersionChoice(_ChoiceType):
    """A protocol version the plugin registry knows (built-in or from a plugin). The list for
    help and errors is read from the registry when needed; a built-in version is accepted
    without loading the installed plugins."""

    def __init__(self) -> None:
        super().__init__(())

    @property  # type: ignore[override]
    def choices(self) -> Sequence[str]:
        return tuple(protocol_versions())

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        """click's __init__ sets the list; the registry is the list."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and known_version(value):
            return value
        self.fail(f"{value!r} is not one of {', '.join(self.choices)}", param, ctx)


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
