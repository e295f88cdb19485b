"""`tuyaface simulate`: run a simulated device (or gateway) on TCP until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..announce import Announcer
from ..gateway.simulated import DEFAULT_GATEWAY_CONNECTIONS, SimulatedGateway
from ..model import (
    BUILTIN,
    CATEGORY_NAMES,
    DefinitionError,
    definition_from_json,
    simulated_gateway,
)
from ..model import simulated_device as schema_device
from ..simulator import SimulatedDevice, SimulatorServer
from ._errors import ConfigError
from ._group import json_option, main, output
from ._options import DpsParam, VersionChoice

if TYPE_CHECKING:
    _ChildParamType = click.ParamType[tuple[str, dict[str, Any]]]
    _PairParamType = click.ParamType[tuple[str, str]]
else:  # click < 8.2 has no type parameter at run time
    _ChildParamType = _PairParamType = click.ParamType

_CATEGORIES = sorted({*CATEGORY_NAMES, *BUILTIN})

__all__ = ["simulate"]


class ChildParam(_ChildParamType):
    """`CID` or `CID={"1": true}`: a gateway child and its DPs."""

    name = "child"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        cid, _, dps = str(value).partition("=")
        if not cid:
            self.fail(f"{value!r}: give the child's cid, e.g. a4c138aa or a4c138aa='{{}}'")
        return cid, DpsParam().convert(dps or "{}", param, ctx)


class ChildCategoryParam(_PairParamType):
    """`CID=CATEGORY`: a gateway child acting out a built-in category."""

    name = "child-category"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        cid, _, category = str(value).partition("=")
        if not cid or category not in _CATEGORIES:
            self.fail(
                f"{value!r}: give CID=CATEGORY, e.g. a4c138aa=sensor; categories: "
                f"{', '.join(_CATEGORIES)}"
            )
        return cid, category


@main.command()
@click.option("--version", "version", type=VersionChoice(), default="3.3", show_default=True)
@click.option("--id", "dev_id", default="tuyafacesim000000001", show_default=True)
@click.option(
    "--key", default="0123456789abcdef", show_default=True, help="16-character local key."
)
@click.option(
    "--dps", type=DpsParam(), default=None,
    help='Starting DP values (JSON object) [default: {"1": false}, or the schema\'s].',
)
@click.option(
    "--category", type=click.Choice(_CATEGORIES),
    help="Serve a built-in category's DPs (checks writes, changing readings, moving covers).",
)
@click.option(
    "--schema", "schema_file", type=click.Path(exists=True, dir_okay=False),
    help="Serve the DPs of a definition file (tuyaface's JSON format, see the README).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=6668, show_default=True, help="0: the OS picks one.")
@click.option("--device22", is_flag=True, help="Answer DP_QUERY like device22 firmware.")
@click.option(
    "--announce", metavar="ADDRESS[:PORT]",
    help="Broadcast announcements there, as a real device does (e.g. 255.255.255.255, or "
    "127.0.0.1:PORT for a local scan); the port defaults to the version's (6666 / 6667).",
)
@click.option(
    "--announce-interval", type=click.FloatRange(min=0, min_open=True), default=5.0,
    show_default=True, metavar="SECONDS", help="Seconds between announcements.",
)
@click.option("--gateway", is_flag=True, help="Simulate a gateway with children (sub-devices).")
@click.option(
    "--child", "child_specs", type=ChildParam(), multiple=True, metavar="CID[=DPS_JSON]",
    help='A gateway child and its DPs, e.g. a4c138aa=\'{"1": true}\' (repeatable).',
)
@click.option(
    "--child-category", "child_categories", type=ChildCategoryParam(), multiple=True,
    metavar="CID=CATEGORY",
    help="A gateway child acting out a built-in category (checks writes, changing readings), "
    "e.g. a4c138aa=sensor (repeatable; --child CID=DPS_JSON sets its starting DPs).",
)
@click.option(
    "--children", "children_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='A JSON file of gateway children: {"CID": {"1": true}, ...}.',
)
@click.option(
    "--max-connections", type=click.IntRange(min=1), default=None,
    help=f"Clients served at once (default 1; a gateway {DEFAULT_GATEWAY_CONNECTIONS}).",
)
@json_option
def simulate(
    version: str,
    dev_id: str,
    key: str,
    dps: dict[str, Any] | None,
    category: str | None,
    schema_file: str | None,
    host: str,
    port: int,
    device22: bool,
    announce: str | None,
    announce_interval: float,
    gateway: bool,
    child_specs: tuple[tuple[str, dict[str, Any]], ...],
    child_categories: tuple[tuple[str, str], ...],
    children_file: Path | None,
    max_connections: int | None,
    as_json: bool,
) -> None:
    """Run a simulated device and print where it listens (Ctrl-C stops it).

    With --category or --schema it acts out that schema: a write its schema rejects is
    ignored (not stored, not pushed; the control is still acknowledged), read-only
    readings change every half second, a cover moves to its position step by step.
    With --gateway it is a gateway serving the --child / --children sub-devices;
    --child-category children act out their category as --category does.
    """
    children = {**_children_file(children_file), **dict(child_specs)}
    if (children or child_categories) and not gateway:
        raise click.UsageError("--child, --child-category and --children need --gateway")
    described = category is not None or schema_file is not None
    if gateway and described:
        raise click.UsageError("--category and --schema describe one device, not a --gateway")
    options: dict[str, Any] = {"version": version, "device22": device22}
    device: SimulatedDevice
    if gateway:
        device = simulated_gateway(
            dev_id, key, dict(child_categories), dps=dps or {"1": False},
            max_connections=max_connections or DEFAULT_GATEWAY_CONNECTIONS, **options,
        )  # fmt: skip
        for cid, values in children.items():  # raw children, or a category's starting DPs
            device.children.setdefault(cid, {}).update(values)
    elif not described:
        device = SimulatedDevice(
            dev_id, key, dps=dps or {"1": False}, max_connections=max_connections or 1,
            **options,
        )  # fmt: skip
    else:
        schema = None if schema_file is None else _schema(Path(schema_file))
        device = schema_device(
            dev_id, key, schema=schema, category=category, dps=dps or {},
            max_connections=max_connections or 1, **options,
        )  # fmt: skip
    target = None if announce is None else _address(announce, device)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(device, host, port, (target, announce_interval), as_json))


def _schema(path: Path) -> Any:
    try:
        return definition_from_json(json.loads(path.read_text(encoding="utf-8")), str(path)).schema
    except (OSError, ValueError, DefinitionError) as exc:
        raise ConfigError(f"cannot use {path} as a schema: {exc}") from None


def _children_file(path: Path | None) -> dict[str, dict[str, Any]]:
    """The children of a `--children` file: a JSON object of cid -> DPs."""
    if path is None:
        return {}
    try:
        children = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"cannot read {path}: {exc}", param_hint="--children") from None
    valid = isinstance(children, dict) and all(isinstance(d, dict) for d in children.values())
    if not valid:
        raise click.BadParameter(
            'give a JSON object of cid -> DPs, e.g. {"a4c138aa": {"1": true}}',
            param_hint="--children",
        )
    return {str(cid): {str(dp): v for dp, v in dps.items()} for cid, dps in children.items()}


def _address(text: str, device: SimulatedDevice) -> tuple[str, int]:
    """ADDRESS[:PORT] -> (address, port); the port defaults to the version's broadcasts."""
    address, _, port = text.partition(":")
    if not port:
        return address, device.protocol.broadcast.port
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(f"{port!r} is not a port number", param_hint="--announce")
    return address, int(port)


def _announcer(
    device: SimulatedDevice, server: SimulatorServer, target: tuple[str, int], interval: float
) -> Announcer:
    info = {"gwId": device.dev_id, "productKey": "tuyafacesimulated", "active": 2}
    if server.host not in ("0.0.0.0", "::"):
        info["ip"] = server.host
    return Announcer(device.protocol, info, target=target, interval=interval, host=server.host)


async def _serve(
    device: SimulatedDevice,
    host: str,
    port: int,
    announce: tuple[tuple[str, int] | None, float],
    as_json: bool,
) -> None:
    target, interval = announce
    async with device.serve(host, port) as server, contextlib.AsyncExitStack() as stack:
        event: dict[str, Any] = {
            "event": "listening",
            "id": device.dev_id,
            "version": device.version,
            "host": server.host,
            "port": server.port,
        }
        what = "device"
        if isinstance(device, SimulatedGateway):
            what = f"gateway with {len(device.children)} children:"
            event["children"] = sorted(device.children)
        text = (
            f"simulating {what} {device.dev_id} (protocol {device.version}) on "
            f"{server.host}:{server.port}"
        )
        if target is not None:
            await stack.enter_async_context(_announcer(device, server, target, interval))
            event["announce"] = f"{target[0]}:{target[1]}"
            text += f", announcing to {event['announce']}"
        output(as_json, f"{text}; Ctrl-C stops", event)
        await asyncio.Event().wait()
