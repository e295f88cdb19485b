"""Which device a command talks to: `--id/--key/--ip/--version/--port`, or `--name` / `--id`
looked up in devices.json; the key may come from $TUYAFACE_LOCAL_KEY. A gateway's child is
`--cid`, or a devices.json sub-device entry (`parent`, `node_id`: ip, key and version come
from the parent's entry)."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import click

from .._core import DEFAULT_PORT, DEFAULT_TIMEOUT
from ..device import Device
from ..events import StatusPush
from ..plugins import protocol_versions
from ._errors import ConfigError
from ._inventory import DEVICES_ENV, Inventory, inventory_path
from ._options import DpIdsParam, VersionChoice, known_version

if TYPE_CHECKING:
    from ..async_device import AsyncDevice
    from ..gateway import AsyncGateway, Gateway

__all__ = ["KEY_ENV", "Reachable", "Selection", "Target", "device_options"]

KEY_ENV = "TUYAFACE_LOCAL_KEY"
_KEY_SIZE = 16

F = Callable[..., Any]


class Reachable(Protocol):
    """What `status` and `set` use: a `Device`, or a gateway's `Child`."""

    def status(self) -> dict[str, Any]: ...
    def set_status(self, dps: dict[str, Any]) -> None: ...
    def wait_for_push(self, timeout: float) -> StatusPush | None: ...


@attrs.frozen
class Target:
    """A device the command can talk to: everything needed to connect. With `cid`, a
    gateway's child (the other fields are the gateway's); `children` names the gateway's
    children known from devices.json (cid -> name)."""

    dev_id: str
    local_key: str = attrs.field(repr=False)
    ip: str
    version: str
    port: int
    timeout: float
    dp_ids: tuple[str, ...] = ("1", "2", "3")
    name: str | None = None
    entry: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    cid: str | None = None
    children: Mapping[str, str] = attrs.field(factory=dict)

    def describe(self) -> dict[str, Any]:
        """The device's identity for JSON output (never the key)."""
        identity = {
            "id": self.dev_id,
            "name": self.name,
            "ip": self.ip,
            "port": self.port,
            "version": self.version,
        }
        return identity if self.cid is None else {**identity, "cid": self.cid}

    @property
    def title(self) -> str:
        """How human output names the device."""
        named = f" ({self.name})" if self.name else ""
        where = f"{self.ip}:{self.port}, protocol {self.version}"
        if self.cid is not None:
            return f"child {self.cid}{named} of gateway {self.dev_id} at {where}"
        return f"{self.dev_id}{named} at {where}"

    @property
    def is_gateway(self) -> bool:
        """A child was named, or devices.json lists children of this device."""
        return self.cid is not None or bool(self.children)

    @contextlib.contextmanager
    def reach(self) -> Iterator[Reachable]:
        """The device, or the child through its gateway; closed at the end of the block."""
        if self.cid is None:
            with self.device() as device:
                yield device
        else:
            with self.gateway() as gateway:
                yield gateway.child(self.cid)

    def _arguments(self) -> dict[str, Any]:
        return {
            "dev_id": self.dev_id, "local_key": self.local_key, "host": self.ip,
            "version": self.version, "port": self.port, "timeout": self.timeout,
            "dp_ids": self.dp_ids,
        }  # fmt: skip

    def gateway(self) -> Gateway:
        """A blocking `Gateway` for this target (no I/O yet)."""
        from ..gateway import Gateway  # loaded by the commands that reach a gateway only

        return Gateway(**self._arguments())

    def async_gateway(self) -> AsyncGateway:
        """An `AsyncGateway` for this target (no I/O yet)."""
        from ..gateway import AsyncGateway

        return AsyncGateway(**self._arguments())

    def device(self) -> Device:
        """A blocking `Device` for this target (no I/O yet)."""
        return Device(**self._arguments())

    def async_device(self) -> AsyncDevice:
        """An `AsyncDevice` for this target (no I/O yet)."""
        from ..async_device import AsyncDevice  # asyncio: not for the blocking commands

        return AsyncDevice(**self._arguments())


@attrs.frozen
class Selection:
    """The device options as given; `resolve()` turns them into a `Target`."""

    name: str | None
    dev_id: str | None
    local_key: str | None = attrs.field(repr=False)
    ip: str | None
    version: str | None
    port: int
    devices: str | None
    timeout: float
    dp_ids: tuple[str, ...]
    cid: str | None = None

    @property
    def complete(self) -> bool:
        """True when devices.json has nothing to add."""
        return None not in (self.dev_id, self.local_key, self.ip, self.version)

    def resolve(self, name: str | None = None) -> Target:
        """The target; ConfigError (exit 6) or a usage error (exit 2) when incomplete.
        `name` (a command's positional NAME) wins over --name."""
        if name is not None:
            return attrs.evolve(self, name=name).resolve()
        if self.name is None and self.dev_id is None:
            raise click.UsageError(
                "say which device: --name NAME (from devices.json), or --id ID with --key, "
                "--ip and --version",
                ctx=click.get_current_context(silent=True),
            )
        entry: Mapping[str, Any] = {}
        parent: Mapping[str, Any] = {}
        children: dict[str, str] = {}
        if self.name is not None or not self.complete:
            inventory = Inventory.load(inventory_path(self.devices))
            entry = self._entry(inventory)
            parent_id = _field(entry, "parent")
            parent = inventory.by_id(parent_id) if parent_id else {}
            children = inventory.children_of(parent.get("id") or entry["id"])
        name = entry.get("name") if isinstance(entry.get("name"), str) else None
        cid = self.cid or (_field(entry, "node_id") or entry["id"] if parent else None)
        dev_id = parent.get("id") or self.dev_id or entry["id"]

        def field(what: str) -> str | None:
            # a child is reached through its gateway: the wizard's "key" of a sub-device
            # is its own cloud key, never the one the gateway's connection takes
            first, then = (parent, entry) if parent else (entry, parent)
            return _field(first, what) or _field(then, what)

        return Target(
            dev_id=dev_id,
            local_key=_key(dev_id, self.local_key or field("key")),
            ip=_required(dev_id, "ip", self.ip or field("ip"), "--ip ADDRESS"),
            version=_version(dev_id, self.version or field("version")),
            port=self.port,
            timeout=self.timeout,
            dp_ids=self.dp_ids,
            name=name or self.name,
            entry=entry,  # its category, product_id and mapping give the DP schema
            cid=cid,
            children=children,
        )

    def _entry(self, inventory: Inventory) -> Mapping[str, Any]:
        if self.name is None:
            assert self.dev_id is not None
            return inventory.by_id(self.dev_id)
        entry = inventory.by_name(self.name)
        if self.dev_id is not None and entry["id"] != self.dev_id:
            raise ConfigError(
                f"{self.name!r} is device {entry['id']} in {inventory.path}, not "
                f"{self.dev_id}: give only one of --name and --id"
            )
        return entry


def _field(entry: Mapping[str, Any], name: str) -> str | None:
    """A devices.json field as text; None when missing or empty."""
    value = entry.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # tinytuya sometimes writes "version": 3.3
    return value if isinstance(value, str) and value.strip() else None


def _required(dev_id: str, what: str, value: str | None, option: str) -> str:
    if value is None:
        raise ConfigError(
            f"no {what} for device {dev_id}: pass {option}, or find it with `tuyaface scan`"
        )
    return value.strip()


def _key(dev_id: str, key: str | None) -> str:
    if key is None:
        raise ConfigError(
            f"no local key for device {dev_id}: pass --key, set ${KEY_ENV}, or add \"key\" "
            "to its devices.json entry"
        )
    try:
        size = len(key.encode("latin-1"))
    except UnicodeEncodeError:
        size = -1
    if size != _KEY_SIZE:
        raise ConfigError(
            f"the local key for device {dev_id} is not {_KEY_SIZE} plain characters: copy it "
            "again (tinytuya's wizard lists it as \"key\")"
        )
    return key


def _version(dev_id: str, version: str | None) -> str:
    tag = _required(dev_id, "protocol version", version, "--version 3.1 ... 3.5")
    if not known_version(tag):
        raise ConfigError(
            f"device {dev_id} has protocol version {tag!r}; tuyaface speaks "
            f"{', '.join(protocol_versions())}: pass --version"
        )
    return tag


_OPTIONS = (
    click.option("--name", help="The device's name in devices.json."),
    click.option(
        "--id", "dev_id",
        help="The device id; looked up in devices.json when --key, --ip or --version is missing.",
    ),
    click.option(
        "--key", "local_key", envvar=KEY_ENV, show_envvar=True,
        help="The 16-character local key (prefer the environment variable: others can read "
        "command lines).",
    ),
    click.option("--ip", help="The device's IP address."),
    click.option(
        "--cid", help="A gateway's child (sub-device) by its cid (node_id), through the gateway "
        "that --name / --id / --ip name.",
    ),
    click.option("--version", type=VersionChoice(), help="The protocol version."),
    click.option(
        "--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True,
        help="The device's TCP port.",
    ),
    click.option(
        "--devices", envvar=DEVICES_ENV, show_envvar=True, metavar="PATH",
        help="tinytuya's devices.json [default: ./devices.json].",
    ),
    click.option(
        "--timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIMEOUT,
        show_default=True, help="Seconds to wait for a connection or an answer.",
    ),
    click.option(
        "--dp-ids", type=DpIdsParam(), default="1,2,3", show_default=True, metavar="1,2,3",
        help="DPs to ask for when the device needs the device22 status query (3.2 and some "
        "3.3 devices report only the DPs asked for).",
    ),
)
_NAMES = (
    "name", "dev_id", "local_key", "ip", "version", "port", "devices", "timeout", "dp_ids",
    "cid",
)


def device_options(command: F) -> F:
    """Add the device options to a command; it receives them as `selection: Selection`."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in _NAMES}
        return command(*args, selection=Selection(**given), **kwargs)

    for option in reversed(_OPTIONS):
        wrapper = option(wrapper)
    return wrapper
