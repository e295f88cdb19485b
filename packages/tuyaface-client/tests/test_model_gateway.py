"""Typed devices over gateway children (`Sensor(gateway.child(cid))`, `Plug(...)`), asyncio
and blocking, end to end over TCP on 127.0.0.1 on 3.3, 3.4 and 3.5, against a
SimulatedGateway whose children act out their schemas (`simulated_gateway`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from simkit import KEY, PATIENCE, wait_until

from tuyaface import StatusPush
from tuyaface.cli import main
from tuyaface.gateway import AsyncGateway, Gateway, SimulatedGateway
from tuyaface.model import (
    DpValueError,
    Plug,
    SchemaBehaviour,
    Sensor,
    detect_dps,
    schema_for,
)
from tuyaface.model import simulated_gateway as make_gateway
from tuyaface.simulator import SimulatorThread
from tuyaface_codec import Command, LocalProtocolError

GW_ID = "bf0123456789abcdefgw"
SENSOR, PLUG = "a4c138ad1d974d89", "a4c1380f44e2b1c3"
TICK = 0.05

every_version = pytest.mark.parametrize("version", ["3.3", "3.4", "3.5"])


def hub(version: str) -> SimulatedGateway:
    """A sensor child (temperature, humidity, battery) and a plug child (energy)."""
    return make_gateway(GW_ID, KEY, {SENSOR: "sensor", PLUG: "plug"}, tick=TICK,
                        version=version, idle_timeout=None)


def sent(sim: SimulatedGateway, *commands: int) -> list[dict[str, Any]]:
    """The JSON of every request of these commands the gateway answered."""
    return [json.loads(f.payload) for f in sim.requests if f.cmd in commands]


def behaviour(sim: SimulatedGateway, cid: str) -> SchemaBehaviour:
    found = sim.child_behaviours[cid]
    assert isinstance(found, SchemaBehaviour)
    return found


@contextlib.asynccontextmanager
async def async_hub(version: str) -> AsyncIterator[tuple[SimulatedGateway, AsyncGateway]]:
    sim = hub(version)
    async with (
        sim.serve("127.0.0.1", 0, transport="asyncio") as server,
        AsyncGateway(GW_ID, KEY, server.host, port=server.port, version=version,
                     transport="asyncio") as gateway,
    ):
        yield sim, gateway


@contextlib.contextmanager
def blocking_hub(version: str) -> Iterator[tuple[SimulatorThread, Gateway]]:
    with hub(version).serve_in_thread("127.0.0.1", 0, transport="asyncio") as thread:
        gateway = Gateway(GW_ID, KEY, thread.host, port=thread.port, version=version)
        try:
            yield thread, gateway
        finally:
            gateway.close()


@every_version
async def test_async_sensor_child_readings_change(version: str) -> None:
    async with async_hub(version) as (sim, gateway):
        child = gateway.child(SENSOR)
        sensor = Sensor(child)
        assert await sensor.battery() == 90
        assert isinstance(await sensor.temperature(), float)
        assert sensor.schema is not None and sensor.schema.category == "wsdcg"
        stream = child.events()
        seen: list[dict[str, Any]] = []
        async with asyncio.timeout(PATIENCE):
            async for event in stream:  # the child's measurements, pushed with its cid
                if isinstance(event, StatusPush):
                    assert event.cid == SENSOR
                    seen.append(event.dps)
                    if len({str(d.get("1")) for d in seen if "1" in d}) > 1:
                        break
        behaviour(sim, SENSOR).tick = 3600  # readings hold still from the next tick on
        await asyncio.sleep(4 * TICK)
        temperature = await sensor.temperature()
        assert temperature == sim.children[SENSOR]["1"] / 10  # scaled from the raw DP
        with pytest.raises(DpValueError):  # a sensor's readings are read-only
            await sensor.set_values({"va_temperature": 30})
        assert not sent(sim, Command.CONTROL, Command.CONTROL_NEW)


@every_version
async def test_async_plug_child_writes_are_checked_and_energy_refreshed(version: str) -> None:
    async with async_hub(version) as (sim, gateway):
        plug = Plug(gateway.child(PLUG))
        await plug.turn_on()
        assert sim.children[PLUG]["1"] is True
        assert await plug.is_on() is True
        with pytest.raises(DpValueError):
            await plug.set_values({"countdown_1": 90000})  # over its 86400 s
        assert len(sent(sim, Command.CONTROL, Command.CONTROL_NEW)) == 1  # never sent
        energy = await plug.refresh_energy()
        assert set(energy) == {"power_w", "current_a", "voltage_v", "energy_kwh"}
        (refresh,) = sent(sim, Command.UPDATEDPS)
        assert refresh["cid"] == [PLUG]  # the list form: the child measures again
        assert sorted(refresh["dpId"]) == [17, 18, 19, 20]
        # the plug child itself ignores what its schema rejects (a raw write past the check)
        await gateway.child(PLUG).set_status({"19": 1, "9": 60})
        assert ("19", 1) in behaviour(sim, PLUG).rejected
        assert sim.children[PLUG]["9"] == 60 and sim.children[PLUG]["19"] != 1


@every_version
def test_blocking_sensor_and_plug_children(version: str) -> None:
    with blocking_hub(version) as (thread, gateway):
        sim = thread.device
        assert isinstance(sim, SimulatedGateway)
        sensor, plug = Sensor(gateway.child(SENSOR)), Plug(gateway.child(PLUG))
        assert sensor.humidity() == 45
        assert sensor.contact() is None  # a climate sensor has no contact DP
        plug.turn_on()
        wait_until(lambda: plug.handle.dps.get("1") is True, "the plug child's push")
        assert plug.is_on() is True
        with pytest.raises(DpValueError):
            plug.set_values({"switch_1": "maybe"})
        first = plug.energy()
        wait_until(lambda: sim.children[PLUG]["17"] > 10 + 2, "energy counted up")
        assert plug.refresh_energy()["energy_kwh"] > first
        assert sensor.battery() == 90


@every_version
def test_detect_dps_on_a_child_is_a_clear_error(version: str) -> None:
    with blocking_hub(version) as (thread, gateway):
        with pytest.raises(LocalProtocolError, match="gateway child"):
            detect_dps(gateway.child(SENSOR))
        async_gateway = AsyncGateway(GW_ID, KEY, thread.host, port=thread.port,
                                     version=version)
        with pytest.raises(LocalProtocolError, match="gateway child"):
            detect_dps(async_gateway.child(SENSOR))
        assert thread.device.connections == 0  # nothing was sent


# -- the CLI on a wizard devices.json with sub-devices ---------------------------------

WIZARD = Path(__file__).parent / "data" / "wizard" / "devices.json"
DOOR, HUB_PLUG = "a4c138d00e5e5a01", "a4c1380f44e2b1c3"  # their node_ids there
ENV_CLEAN = {"TUYAFACE_LOCAL_KEY": None, "TUYAFACE_DEVICES": None, "TUYAFACE_DEFINITIONS": None}


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=ENV_CLEAN, prog_name="tuyaface")


@contextlib.contextmanager
def wizard_hub(version: str, tmp_path: Path) -> Iterator[tuple[SimulatedGateway, list[str]]]:
    """The wizard file's gateway simulated, its children acting out their own mappings;
    the options that point the CLI at it."""
    entries = json.loads(WIZARD.read_text(encoding="utf-8"))
    by_name = {entry["name"]: entry for entry in entries}
    gateway = by_name["Zigbee gateway"]
    gateway["version"] = version
    children = {by_name[name]["node_id"]: schema_for(by_name[name])
                for name in ("Door sensor", "Hub plug")}
    sim = make_gateway(gateway["id"], gateway["key"], children, tick=60, version=version)
    path = tmp_path / "devices.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    with sim.serve_in_thread("127.0.0.1", 0, transport="asyncio") as thread:
        yield sim, ["--devices", str(path), "--port", str(thread.port)]


@every_version
def test_cli_describe_status_set_on_wizard_children(version: str, tmp_path: Path) -> None:
    with wizard_hub(version, tmp_path) as (sim, where):
        sim.children[DOOR].update({"1": True, "2": 87})
        shown = cli("describe", "Door sensor", *where)
        assert shown.exit_code == 0, shown.output
        assert f"child {DOOR} (Door sensor) of gateway" in shown.stdout
        assert "schema: devices.json mapping" in shown.stdout
        assert "doorcontact_state" in shown.stdout and "battery_percentage" in shown.stdout
        rows = {row["code"]: row for row in json.loads(
            cli("describe", "Door sensor", "--json", *where).stdout)["dps"]}
        assert rows["battery_percentage"]["value"] == 87  # the child's, not the gateway's
        assert rows["doorcontact_state"]["value"] is True
        status = cli("status", "Door sensor", *where)
        assert status.exit_code == 0, status.output
        assert "battery_percentage" in status.stdout and "87" in status.stdout
        assert " %" in status.stdout
        done = cli("set", "Hub plug", "switch_1=on", "--json", *where)
        assert done.exit_code == 0, done.output
        assert json.loads(done.stdout)["dps"] == {"1": True}  # the plug child's push
        assert sim.children[HUB_PLUG]["1"] is True
        refused = cli("set", "Hub plug", "countdown_1=100000", *where)
        assert refused.exit_code == 2 and "nothing was sent" in refused.output
        power = json.loads(cli("status", "Hub plug", "--json", *where).stdout)
        values = {v["code"]: v for v in power["values"]}
        assert values["cur_power"]["unit"] == "W"
        assert values["cur_power"]["value"] == sim.children[HUB_PLUG]["19"] / 10
        assert "s0bdev1ce0wnkey" not in done.output + status.output + shown.output


@every_version
def test_cli_detect_on_a_child_is_a_usage_error(version: str, tmp_path: Path) -> None:
    with wizard_hub(version, tmp_path) as (sim, where):
        result = cli("detect", "Door sensor", *where)
        assert result.exit_code == 2, result.output
        assert "gateway child" in result.output
        assert sim.connections == 0


def test_the_readme_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Typed devices over a gateway's children") :]
    example = section[section.index("```python\n") + 10 : section.index("\n```\n")]
    exec(compile(example, "README.md#typed-children", "exec"), {"__name__": "readme_example"})
    readings, energy = capsys.readouterr().out.splitlines()
    temperature, humidity, battery = (float(word) for word in readings.split())
    assert -40 <= temperature <= 100 and 0 <= humidity <= 100 and battery == 90
    assert energy == "['current_a', 'energy_kwh', 'power_w', 'voltage_v']"


@every_version
def test_cli_simulate_gateway_children_act_out_categories(version: str) -> None:
    command = [
        sys.executable, "-c", "from tuyaface.cli import main; main()",
        "simulate", "--gateway", "--version", version, "--id", GW_ID, "--key", KEY,
        "--child-category", f"{SENSOR}=sensor", "--child-category", f"{PLUG}=plug",
        "--child", f'{PLUG}={{"9": 60}}', "--port", "0", "--json",
    ]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            listening = json.loads(process.stdout.readline())
            assert listening["children"] == sorted([SENSOR, PLUG])
            with Gateway(GW_ID, KEY, listening["host"], port=listening["port"],
                         version=version) as gateway:
                assert Sensor(gateway.child(SENSOR)).battery() == 90
                plug = Plug(gateway.child(PLUG))
                assert plug.state()["countdown_1"] == 60  # --child's starting DPs
                plug.handle.set_status({"1": True, "19": 1})  # 19 is read-only
                wait_until(lambda: plug.handle.dps.get("1") is True, "the plug's push")
                assert plug.is_on() is True and plug.state()["cur_power"] != 0.1
        finally:
            process.kill()


def test_cli_simulate_child_category_is_checked() -> None:
    result = CliRunner().invoke(main, ["simulate", "--gateway", "--child-category",
                                       f"{SENSOR}=toaster", "--port", "0"])
    assert result.exit_code == 2 and "a4c138aa=sensor" in result.output
    alone = CliRunner().invoke(main, ["simulate", "--child-category", f"{SENSOR}=sensor"])
    assert alone.exit_code == 2 and "--gateway" in alone.output
