"""The DP schema of the device a command talks to (tuyaface.model): from its devices.json
entry (mapping, category, product_id), definition folders (--definitions), built-ins."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import click

from ._errors import ConfigError
from ._select import Target
from ._text import say

if TYPE_CHECKING:  # the model loads when a schema can be known: a `status` process -26% CPU
    from ..model import DefinitionSet, DpSchema

__all__ = [
    "DEFINITIONS_ENV",
    "jsonable",
    "schema_known",
    "schema_options",
    "status_helps",
    "target_schema",
]

DEFINITIONS_ENV = "TUYAFACE_DEFINITIONS"

F = Callable[..., Any]


def schema_options(command: F) -> F:
    """Add --definitions FOLDER (repeatable); the command receives `definitions`, the
    loaded DefinitionSet (None without folders)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        folders = kwargs.pop("definition_folders")
        return command(*args, definitions=_load(folders), **kwargs)

    return click.option(
        "--definitions", "definition_folders", multiple=True, envvar=DEFINITIONS_ENV,
        show_envvar=True, metavar="FOLDER",
        type=click.Path(exists=True, file_okay=False),
        help="A folder of definition files: ours (*.json) or tuya-local's (*.yaml).",
    )(wrapper)


def _load(folders: tuple[str, ...]) -> DefinitionSet | None:
    if not folders:
        return None
    from ..model import DefinitionError, load_definitions

    try:
        found = load_definitions(folders)
    except DefinitionError as exc:
        raise ConfigError(str(exc)) from None
    for note in found.notes:
        say(f"note: {note}", err=True)
    return found


def target_schema(
    target: Target, definitions: DefinitionSet | None, status: Mapping[str, Any] | None = None
) -> DpSchema:
    """The schema for the target (raw DPs only when nothing is known)."""
    from ..model import schema_for

    return schema_for(target.entry, status, definitions)


def schema_known(target: Target, definitions: DefinitionSet | None) -> bool:
    """Whether `target_schema` can find more than raw DPs: only a devices.json `mapping`,
    `category` or `product_id`, or definition folders, tell it anything (model/loader.py)."""
    entry = target.entry
    return definitions is not None or any(entry.get(k) for k in _SCHEMA_KEYS)


_SCHEMA_KEYS = ("mapping", "category", "product_id")


def status_helps(
    target: Target, definitions: DefinitionSet | None, schema: DpSchema, codes: Iterable[str]
) -> bool:
    """Whether reading the status first could give a better schema: without a devices.json
    mapping, a light's layout (v1 / v2 / dimmer) and definitions matched by DP set depend
    on it. With a mapping that knows every code, the status is not read."""
    if target.entry.get("mapping"):
        return definitions is not None and any(schema.find(code) is None for code in codes)
    return definitions is not None or schema.category == "dj" or not schema.specs


def jsonable(value: Any) -> Any:
    """A user value fit for JSON (a colour as {hue, saturation, value})."""
    from ..model import Hsv

    if isinstance(value, Hsv):
        return {"hue": value.hue, "saturation": value.saturation, "value": value.value}
    return value
