"""`tuyaface simulate`: run a simulated device on TCP until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

import click

from ..announce import Announcer
from ..model import BUILTIN, CATEGORY_NAMES, DefinitionError, definition_from_json
from ..model import simulated_device as schema_device
from ..simulator import SimulatedDevice, SimulatorServer
from ._errors import ConfigError
from ._group import json_option, main, output
from ._options import DpsParam, VersionChoice

__all__ = ["simulate"]


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
    "--category", type=click.Choice(sorted({*CATEGORY_NAMES, *BUILTIN})),
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
    as_json: bool,
) -> None:
    """Run a simulated device and print where it listens (Ctrl-C stops it).

    With --category or --schema it acts out that schema: a write its schema rejects is
    ignored (not stored, not pushed; the control is still acknowledged), read-only
    readings change every half second, a cover moves to its position step by step.
    """
    options: dict[str, Any] = {"version": version, "device22": device22}
    if category is None and schema_file is None:
        device = SimulatedDevice(dev_id, key, dps=dps or {"1": False}, **options)
    else:
        schema = None if schema_file is None else _schema(Path(schema_file))
        device = schema_device(dev_id, key, schema=schema, category=category, dps=dps or {},
                               **options)
    target = None if announce is None else _address(announce, device)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(device, host, port, (target, announce_interval), as_json))


def _schema(path: Path) -> Any:
    try:
        return definition_from_json(json.loads(path.read_text(encoding="utf-8")), str(path)).schema
    except (OSError, ValueError, DefinitionError) as exc:
        raise ConfigError(f"cannot use {path} as a schema: {exc}") from None


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
        text = (
            f"simulating device {device.dev_id} (protocol {device.version}) on "
            f"{server.host}:{server.port}"
        )
        if target is not None:
            await stack.enter_async_context(_announcer(device, server, target, interval))
            event["announce"] = f"{target[0]}:{target[1]}"
            text += f", announcing to {event['announce']}"
        output(as_json, f"{text}; Ctrl-C stops", event)
        await asyncio.Event().wait()
