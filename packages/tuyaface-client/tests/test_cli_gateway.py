"""The CLI and gateways: `--cid` on status / set / monitor, devices.json sub-device entries
(`parent`, `node_id`), `tuyaface children`, against a SimulatedGateway on 127.0.0.1 (TCP)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from simkit import DEV_ID, wait_until
from test_cli_device import acting, json_lines, run, selecting

from tuyaface import SimulatorThread
from tuyaface.gateway import SimulatedGateway
from tuyaface_codec import Command

KEY = "Secret-Key-1234!"
VERSIONS = ("3.3", "3.4", "3.5")
SENSOR, PLUG, HIDDEN = "a4c138ad1d974d89", "a4c1380f44e2b1c3", "a4c13800000000ff"


@contextlib.contextmanager
def hub(version: str, **knobs: Any) -> Iterator[SimulatorThread]:
    children = {SENSOR: {"1": 232}, PLUG: {"1": False}, HIDDEN: {"1": 0}}
    sim = SimulatedGateway(DEV_ID, KEY, version=version, children=children, **knobs)
    with sim.serve_in_thread(transport="tcp") as thread:
        yield thread


def devices_json(tmp_path: Path, sim: SimulatorThread) -> str:
    """tinytuya's wizard output: the gateway, and two sub-devices without ip or key."""
    entries = [
        {"name": "Zigbee hub", "id": DEV_ID, "key": KEY, "ip": sim.host,
         "version": sim.device.version},
        {"name": "Kitchen sensor", "id": "bf00000000000000sens01", "node_id": SENSOR,
         "parent": DEV_ID, "key": "", "ip": "", "version": ""},
        {"name": "Desk plug", "id": "bf00000000000000plug01", "node_id": PLUG,
         "parent": DEV_ID},
    ]  # fmt: skip
    path = tmp_path / "devices.json"
    path.write_text(json.dumps(entries))
    return str(path)


@pytest.mark.parametrize("version", VERSIONS)
def test_status_and_set_with_cid(version: str) -> None:
    with hub(version) as sim:
        status = run("status", *selecting(sim), "--cid", SENSOR, "--json")
        assert status.exit_code == 0, status.output
        assert json.loads(status.stdout)["dps"] == {"1": 232}
        assert json.loads(status.stdout)["cid"] == SENSOR
        changed = run("set", *selecting(sim), "--cid", PLUG, "1", "true", "--json")
        assert changed.exit_code == 0, changed.output
        assert json.loads(changed.stdout)["dps"] == {"1": True}  # that child's push
        assert sim.device.children[PLUG]["1"] is True
        assert sim.device.children[SENSOR]["1"] == 232


@pytest.mark.parametrize("version", VERSIONS)
def test_a_sub_device_entry_is_usable_by_name(version: str, tmp_path: Path) -> None:
    with hub(version) as sim:
        devices = devices_json(tmp_path, sim)
        result = run("status", "--name", "Kitchen sensor", "--port", str(sim.port),
                     "--devices", devices)  # fmt: skip
        assert result.exit_code == 0, result.output
        assert f"child {SENSOR} (Kitchen sensor) of gateway {DEV_ID}" in result.stdout
        assert "232" in result.stdout
        assert KEY not in result.output


@pytest.mark.parametrize("version", VERSIONS)
def test_children_lists_reported_and_listed_children(version: str, tmp_path: Path) -> None:
    with hub(version, offline={PLUG}) as sim:
        devices = devices_json(tmp_path, sim)
        result = run("children", "Zigbee hub", "--port", str(sim.port), "--devices", devices,
                     "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {row["cid"]: row for row in json.loads(result.stdout)["children"]}
    assert rows[SENSOR]["name"] == "Kitchen sensor"
    if version == "3.3":  # no presence report: what devices.json lists, state unknown
        assert set(rows) == {SENSOR, PLUG}
        assert all(row["online"] is None for row in rows.values())
    else:
        assert set(rows) == {SENSOR, PLUG, HIDDEN}
        assert (rows[SENSOR]["online"], rows[PLUG]["online"]) == (True, False)
        assert rows[HIDDEN]["name"] is None


@pytest.mark.parametrize("version", VERSIONS)
def test_monitor_a_gateway_shows_each_childs_cid_and_name(version: str, tmp_path: Path) -> None:
    with hub(version) as sim:
        devices = devices_json(tmp_path, sim)

        def children_act() -> None:
            wait_until(lambda: sim.call(sim.device.push_child(SENSOR, {"1": 240})), "a client")
            assert sim.call(sim.device.push_child(HIDDEN, {"1": 1}))

        with acting(children_act):
            result = run("monitor", "--name", "Zigbee hub", "--port", str(sim.port),
                         "--devices", devices, "--json", "--count", "2")  # fmt: skip
    assert result.exit_code == 0, result.output
    pushes = [e for e in json_lines(result) if e["event"] == "push"]
    assert pushes[0] == {**pushes[0], "cid": SENSOR, "name": "Kitchen sensor", "dps": {"1": 240}}
    assert pushes[1]["cid"] == HIDDEN
    assert "name" not in pushes[1]


@pytest.mark.parametrize("version", VERSIONS)
def test_monitor_with_cid_shows_that_child_only(version: str) -> None:
    with hub(version) as sim:

        def sensor_read() -> bool:
            """The monitor read the sensor's status (so the push below comes after it)."""
            asked = list(sim.device.requests)
            return any(
                frame.cmd in (Command.DP_QUERY, Command.DP_QUERY_NEW)
                and SENSOR.encode() in frame.payload
                for frame in asked
            )

        def children_act() -> None:
            wait_until(lambda: sim.call(sim.device.push_child(PLUG, {"1": True})), "a client")
            wait_until(sensor_read, "the monitor's status read")
            assert sim.call(sim.device.push_child(SENSOR, {"1": 250}))

        with acting(children_act):
            result = run("monitor", *selecting(sim), "--cid", SENSOR, "--json", "--count", "1")
    assert result.exit_code == 0, result.output
    events = json_lines(result)
    assert all(e["cid"] == SENSOR for e in events if e["event"].startswith("child_"))
    events = [e for e in events if not e["event"].startswith("child_")]  # 3.3: seen online
    assert [e["event"] for e in events] == ["connected", "status", "push"]
    assert events[1]["dps"] == {"1": 232}
    assert events[2]["cid"] == SENSOR
    assert events[2]["dps"] == {"1": 250}
