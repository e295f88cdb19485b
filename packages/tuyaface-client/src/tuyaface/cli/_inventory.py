"""devices.json in tinytuya's format, read as it is: find one device by name or id.

The file is a JSON list of objects with at least "id", "key", "name", "ip" and "version"
(tinytuya's wizard writes more fields; they are ignored). "ip" and "version" may be empty.
A gateway's sub-device has "parent" (the gateway's id) and "node_id" (its cid), and often
no "ip" or "key": those come from the parent's entry.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ._errors import ConfigError

# pathlib loads when a devices.json is read: a `status` process -2% CPU (3.2-3.4 ms)
if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["DEFAULT_FILE", "DEVICES_ENV", "Inventory", "inventory_path"]

DEVICES_ENV = "TUYAFACE_DEVICES"
DEFAULT_FILE = "devices.json"


def inventory_path(given: str | None) -> Path:
    """The file to read: `given` (--devices or $TUYAFACE_DEVICES), else ./devices.json."""
    from pathlib import Path

    return Path(given or os.environ.get(DEVICES_ENV) or DEFAULT_FILE)


def _json_type(value: object) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


@attrs.frozen
class Inventory:
    """The devices of one devices.json."""

    path: Path
    entries: Sequence[Mapping[str, Any]] = attrs.field(repr=False)

    @classmethod
    def load(cls, path: Path) -> Inventory:
        """Read and check `path`; ConfigError says what is wrong and how to fix it."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(
                f"{path} does not exist: pass --devices PATH or set ${DEVICES_ENV} to your "
                "devices.json, or give the device with --id, --key, --ip and --version"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {path} ({exc}): check the file") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}): "
                "fix it, or write it again with tinytuya's wizard"
            ) from None
        if not isinstance(data, list):
            raise ConfigError(
                f"{path} holds a JSON {_json_type(data)}; a devices.json is a list of objects "
                'such as [{"id": "...", "key": "...", "name": "...", "ip": "...", '
                '"version": "3.3"}]'
            )
        for index, entry in enumerate(data):
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                raise ConfigError(
                    f"{path}: entry {index} is not an object with an \"id\" string: fix it, "
                    "or write the file again with tinytuya's wizard"
                )
        return cls(path, data)

    def by_id(self, dev_id: str) -> Mapping[str, Any]:
        """The entry with this id."""
        for entry in self.entries:
            if entry["id"] == dev_id:
                return entry
        raise ConfigError(
            f"device id {dev_id!r} is not in {self.path}: check the id, or give --key, --ip "
            "and --version yourself"
        )

    def children_of(self, gateway_id: str) -> dict[str, str]:
        """The sub-devices listed with this `parent`: cid (`node_id`) -> name."""
        return {
            entry.get("node_id") or entry["id"]: str(entry.get("name") or "")
            for entry in self.entries
            if entry.get("parent") == gateway_id
        }

    def by_name(self, name: str) -> Mapping[str, Any]:
        """The entry with this name (exactly, else ignoring case; it must be unique)."""
        named = [e for e in self.entries if isinstance(e.get("name"), str)]
        for fold in (False, True):
            wanted = name.casefold() if fold else name
            found = [e for e in named if (e["name"].casefold() if fold else e["name"]) == wanted]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                ids = ", ".join(e["id"] for e in found)
                raise ConfigError(
                    f"{len(found)} devices in {self.path} are named {name!r} ({ids}): "
                    "choose one with --id"
                )
        known = sorted(e["name"] for e in named)
        listed = ", ".join(repr(n) for n in known[:20]) or "none"
        more = f" and {len(known) - 20} more" if len(known) > 20 else ""
        raise ConfigError(
            f"no device named {name!r} in {self.path} (names there: {listed}{more}): "
            "check the spelling, or use --id"
        )
