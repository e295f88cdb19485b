"""`tuyaface demo`: simulators on 127.0.0.1 driven by the real client, printed plainly:
raw DPs per protocol version, a typed light and plug, a gateway with children."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

from ._group import json_option, main, output
from ._options import VersionChoice

if TYPE_CHECKING:
    from ..device import Device

__all__ = ["demo"]

DEMO_ID = "tuyafacedemo00000001"
DEMO_KEY = "0123456789abcdef"
LIGHT_ID = "tuyafacedemolight001"
PLUG_ID = "tuyafacedemoplug0001"
GATEWAY_ID = "tuyafacedemogateway1"
PLUG_CID, SENSOR_CID, ASLEEP_CID = "a4c1380000000001", "a4c1380000000002", "a4c1380000000003"
CHILDREN: dict[str, dict[str, Any]] = {
    PLUG_CID: {"1": False},
    SENSOR_CID: {"1": 215, "2": 45},
    ASLEEP_CID: {"1": False},
}
SENSOR_READING = {"1": 221}  # what the sensor child pushes: a new temperature
PUSH_WAIT = 2.0
BRIDGE_INSTALL = 'python -m pip install "tuyaface-client[bridge]"'
BRIDGE_DEMO = "tuyaface bridge --demo"

# a typed value's JSON key -> how the text shows it (label, unit)
_SHOWN = {
    "brightness_percent": ("brightness", "%"),
    "colour_temp_percent": ("colour temp", "%"),
    "mode": ("mode", ""),
    "power_w": ("power", "W"),
    "current_a": ("current", "A"),
    "voltage_v": ("voltage", "V"),
    "energy_kwh": ("energy", "kWh"),
}


class _Out:
    """The demo's lines for one protocol version: plain text, or one JSON object each."""

    def __init__(self, as_json: bool, version: str) -> None:
        self.as_json = as_json
        self.version = version

    def header(self, text: str, step: str, **fields: Any) -> None:
        output(self.as_json, text, {"version": self.version, "step": step, **fields})

    def show(self, step: str, value: Any, text: str | None = None) -> None:
        shown = json.dumps(value, sort_keys=True) if text is None else text
        output(self.as_json, f"  {step:<12} {shown}",
               {"version": self.version, "step": step, "value": value})  # fmt: skip


def _quantities(values: Mapping[str, Any]) -> str:
    """`{"on": True, "power_w": 12.5}` -> `on, power 12.5 W`."""
    parts = []
    for key, value in values.items():
        if key == "on":
            parts.append("on" if value else "off")
            continue
        label, unit = _SHOWN[key]
        shown = f"{value:g}" if isinstance(value, float | int) else str(value)
        parts.append(" ".join(filter(None, (label, shown, unit))))
    return ", ".join(parts)


@main.command()
@click.option(
    "--version",
    "versions",
    type=VersionChoice(),
    multiple=True,
    default=("3.3", "3.5"),
    show_default=True,
    help="Protocol versions to show (repeat the option); the typed devices and the gateway "
    "use the last one.",
)
@json_option
def demo(versions: tuple[str, ...], as_json: bool) -> None:
    """Drive simulated devices on 127.0.0.1 with the client: raw DPs (status, set, the push
    that follows, refresh) on each version, then a typed light and plug, then a gateway
    with children. Ends with where to go next (the MQTT bridge)."""
    for version in versions:
        _demo_one(_Out(as_json, version))
    last = _Out(as_json, versions[-1])
    _demo_typed(last)
    _demo_gateway(last)
    output(
        as_json,
        "next: the MQTT bridge, a light and a plug on a local broker (mosquitto or amqtt):\n"
        f"  {BRIDGE_INSTALL} && {BRIDGE_DEMO}",
        {"step": "next", "install": BRIDGE_INSTALL, "command": BRIDGE_DEMO},
    )


def _demo_one(out: _Out) -> None:
    from ..device import Device
    from ..simulator import SimulatedDevice  # loaded by this command only

    version = out.version
    simulator = SimulatedDevice(DEMO_ID, DEMO_KEY, version=version, dps={"1": False, "2": 50})
    with simulator.serve_in_thread(transport="tcp") as server:
        out.header(
            f"protocol {version}: simulated device {DEMO_ID} on {server.host}:{server.port}",
            "listening", host=server.host, port=server.port,
        )  # fmt: skip
        with Device(DEMO_ID, DEMO_KEY, server.host, port=server.port, version=version) as device:
            status = device.status()
            out.show("status", status)
            wanted = {"1": not status.get("1")}
            device.set_status(wanted)
            out.show("set", wanted)
            push = device.wait_for_push(PUSH_WAIT)
            out.show("push", push.dps if push else None)
            device.refresh(["2"])
            push = device.wait_for_push(PUSH_WAIT)
            out.show("refresh [2]", push.dps if push else None)


def _demo_typed(out: _Out) -> None:
    from ..device import Device
    from ..model import simulated_device

    version = out.version
    light_sim = simulated_device(LIGHT_ID, DEMO_KEY, category="light", version=version)
    plug_sim = simulated_device(PLUG_ID, DEMO_KEY, category="plug", version=version)
    with (
        light_sim.serve_in_thread(transport="tcp") as light_server,
        plug_sim.serve_in_thread(transport="tcp") as plug_server,
    ):
        where = {
            "light": f"{light_server.host}:{light_server.port}",
            "plug": f"{plug_server.host}:{plug_server.port}",
        }
        out.header(
            f"typed devices (protocol {version}): a Light ({where['light']}) and a Plug "
            f"({where['plug']})",
            "typed devices", **where,
        )  # fmt: skip
        with Device(LIGHT_ID, DEMO_KEY, light_server.host, port=light_server.port,
                    version=version) as light:  # fmt: skip
            _drive_light(out, light)
        with Device(PLUG_ID, DEMO_KEY, plug_server.host, port=plug_server.port,
                    version=version) as plug:  # fmt: skip
            _drive_plug(out, plug)


def _drive_light(out: _Out, device: Device) -> None:
    from ..model import DpValueError, Light

    light = Light(device)
    codes = {"switch_led": True, "work_mode": "white"}
    light.set_values(codes)
    light.set_brightness(50)
    light.set_colour_temp(30)
    wanted = {"brightness_percent": 50, "colour_temp_percent": 30}
    out.show("light set", {**codes, **wanted},
             f"{json.dumps(codes)}, {_quantities(wanted)}")  # fmt: skip
    state = {
        "on": light.is_on(),
        "brightness_percent": light.brightness(),
        "colour_temp_percent": light.colour_temp(),
        "mode": light.mode(),
    }
    out.show("light", state, _quantities(state))
    try:
        light.set_brightness(150)
    except DpValueError as exc:  # checked against the schema: nothing is sent
        refused = {"brightness_percent": 150, "error": str(exc)}
        out.show("refused", refused, f"{exc}; nothing sent")


def _drive_plug(out: _Out, device: Device) -> None:
    from ..model import Plug

    plug = Plug(device)
    codes = {"switch_1": True}
    plug.set_values(codes)
    out.show("plug set", codes)
    state = {"on": plug.is_on(), **plug.refresh_energy()}
    out.show("plug", state, _quantities(state))


def _demo_gateway(out: _Out) -> None:
    from ..gateway import Gateway, SimulatedGateway

    version = out.version
    simulator = SimulatedGateway(GATEWAY_ID, DEMO_KEY, version=version, children=CHILDREN)
    simulator.offline.add(ASLEEP_CID)  # off the mesh: the gateway reports it offline
    with simulator.serve_in_thread(transport="tcp") as server:
        out.header(
            f"gateway (protocol {version}): simulated gateway {GATEWAY_ID} on "
            f"{server.host}:{server.port}, {len(CHILDREN)} children",
            "gateway", host=server.host, port=server.port, children=list(CHILDREN),
        )  # fmt: skip
        with Gateway(GATEWAY_ID, DEMO_KEY, server.host, port=server.port,
                     version=version) as gateway:  # fmt: skip
            plug, sensor = gateway.child(PLUG_CID), gateway.child(SENSOR_CID)
            status = plug.status()
            read = {"cid": PLUG_CID, "dps": dict(status), "cached": status.cached}
            memory = " (cached: the gateway's memory)" if status.cached else ""
            out.show("child read", read, f"{PLUG_CID} {json.dumps(read['dps'])}{memory}")
            server.call(simulator.push_child(SENSOR_CID, SENSOR_READING))
            push = sensor.wait_for_push(PUSH_WAIT)
            if push is None:
                out.show("child push", None, f"none within {PUSH_WAIT:g} s")
            else:
                routed = f"{push.cid} {json.dumps(push.dps)} (routed by cid to its handle)"
                out.show("child push", {"cid": push.cid, "dps": push.dps}, routed)
            known = gateway.query_children()
            presence = {cid: known[cid].online if cid in known else None for cid in CHILDREN}
            words = {True: "online", False: "offline", None: "unknown"}
            out.show("presence", presence,
                     ", ".join(f"{cid} {words[online]}" for cid, online in presence.items()))
