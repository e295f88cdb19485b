"""`tuyaface demo`: a simulator on 127.0.0.1 driven by the real client, printed plainly."""

from __future__ import annotations

import json
from typing import Any

import click

from ._group import json_option, main, output
from ._options import VersionChoice

__all__ = ["demo"]

DEMO_ID = "tuyafacedemo00000001"
DEMO_KEY = "0123456789abcdef"
PUSH_WAIT = 2.0


@main.command()
@click.option(
    "--version",
    "versions",
    type=VersionChoice(),
    multiple=True,
    default=("3.3", "3.5"),
    show_default=True,
    help="Protocol versions to show (repeat the option).",
)
@json_option
def demo(versions: tuple[str, ...], as_json: bool) -> None:
    """Start a simulated device and drive it: status, set, the push that follows, refresh."""
    for version in versions:
        _demo_one(version, as_json)


def _demo_one(version: str, as_json: bool) -> None:
    from ..device import Device
    from ..simulator import SimulatedDevice  # loaded by this command only

    simulator = SimulatedDevice(DEMO_ID, DEMO_KEY, version=version, dps={"1": False, "2": 50})
    with simulator.serve_in_thread(transport="tcp") as server:

        def show(step: str, value: Any) -> None:
            text = f"  {step:<12} {json.dumps(value, sort_keys=True)}"
            output(as_json, text, {"version": version, "step": step, "value": value})

        output(
            as_json,
            f"protocol {version}: simulated device {DEMO_ID} on {server.host}:{server.port}",
            {"version": version, "step": "listening", "host": server.host, "port": server.port},
        )
        with Device(DEMO_ID, DEMO_KEY, server.host, port=server.port, version=version) as device:
            status = device.status()
            show("status", status)
            wanted = {"1": not status.get("1")}
            device.set_status(wanted)
            show("set", wanted)
            push = device.wait_for_push(PUSH_WAIT)
            show("push", push.dps if push else None)
            device.refresh(["2"])
            push = device.wait_for_push(PUSH_WAIT)
            show("refresh [2]", push.dps if push else None)
