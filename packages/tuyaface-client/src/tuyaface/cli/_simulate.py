"""`tuyaface simulate`: run a simulated device on TCP until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import click

from ..simulator import SimulatedDevice
from ._group import json_option, main, output
from ._options import VERSIONS, DpsParam

__all__ = ["simulate"]


@main.command()
@click.option("--version", "version", type=click.Choice(VERSIONS), default="3.3", show_default=True)
@click.option("--id", "dev_id", default="tuyafacesim000000001", show_default=True)
@click.option("--key", default="0123456789abcdef", show_default=True, help="16-character local key.")
@click.option("--dps", type=DpsParam(), default='{"1": false}', show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=6668, show_default=True, help="0: the OS picks one.")
@click.option("--device22", is_flag=True, help="Answer DP_QUERY like device22 firmware.")
@json_option
def simulate(
    version: str,
    dev_id: str,
    key: str,
    dps: dict[str, Any],
    host: str,
    port: int,
    device22: bool,
    as_json: bool,
) -> None:
    """Run a simulated device and print where it listens (Ctrl-C stops it)."""
    device = SimulatedDevice(dev_id, key, version=version, dps=dps, device22=device22)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(device, host, port, as_json))


async def _serve(device: SimulatedDevice, host: str, port: int, as_json: bool) -> None:
    async with device.serve(host, port) as server:
        output(
            as_json,
            f"simulating device {device.dev_id} (protocol {device.version}) on "
            f"{server.host}:{server.port}; Ctrl-C stops",
            {
                "event": "listening",
                "id": device.dev_id,
                "version": device.version,
                "host": server.host,
                "port": server.port,
            },
        )
        await asyncio.Event().wait()
