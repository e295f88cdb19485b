"""An outside plugin distribution, found through its entry points only (tox installs
tests/plugin_v39): protocol "3.9" (3.3's framing under a new tag) and transport "tcp39"
reach Device, AsyncDevice, SimulatedDevice and the command line like the built-ins."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from simkit import DEV_ID, KEY, simulator
from test_cli_device import run
from test_cli_process import TUYAFACE, WAIT, Running, environment

from tuyaface import AsyncDevice, Device, SimulatedDevice
from tuyaface.plugins import protocol_versions, transport_names
from tuyaface_codec import RequestKind

tuyaface_plugin_v39 = pytest.importorskip("tuyaface_plugin_v39")  # tox installs it


def test_the_registry_lists_the_plugins_version_and_transport() -> None:
    assert "3.9" in protocol_versions()
    assert "tcp39" in transport_names()


def test_device_speaks_3_9_over_tcp39() -> None:
    opened = tuyaface_plugin_v39.TCP39.connections
    with simulator("3.9", "tcp39", dps={"1": True}) as sim:
        device = Device(DEV_ID, KEY, sim.host, port=sim.port, version="3.9", transport="tcp39")
        with device:
            assert device.status() == {"1": True}
            device.set_status({"1": False})
        wire = sim.device.requests[-1]
    assert device.version == "3.9" and wire.cmd == 7  # the CONTROL the simulator decoded
    assert tuyaface_plugin_v39.TCP39.connections == opened + 1


async def test_async_device_speaks_3_9_over_tcp39() -> None:
    simulated = SimulatedDevice(DEV_ID, KEY, version="3.9", dps={"1": 20})
    async with simulated.serve(transport="tcp39") as server, AsyncDevice(
        DEV_ID, KEY, server.host, port=server.port, version="3.9", transport="tcp39"
    ) as device:
        assert await device.status() == {"1": 20}
    assert simulated.protocol.version == "3.9"


def test_the_simulator_frames_carry_the_3_9_header() -> None:
    protocol = SimulatedDevice(DEV_ID, KEY, version="3.9").protocol
    frame = protocol.build_request(RequestKind.SET, seqno=1, dev_id=DEV_ID, t=1, dps={"1": True})
    assert protocol.encode_frame(frame, key=KEY.encode())[16:19] == b"3.9"


def test_status_version_3_9_on_the_command_line() -> None:
    with simulator("3.9", "tcp", key=KEY, dps={"1": True}) as sim:
        result = run(
            "status", "--id", DEV_ID, "--key", KEY, "--ip", sim.host, "--port", str(sim.port),
            "--version", "3.9", "--timeout", "2", "--json",
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dps"] == {"1": True}


def test_a_devices_json_entry_with_version_3_9(tmp_path: Path) -> None:
    with simulator("3.9", "tcp", key=KEY, dps={"1": True}) as sim:
        entry = {"name": "Plug 39", "id": DEV_ID, "key": KEY, "ip": sim.host, "version": "3.9"}
        path = tmp_path / "devices.json"
        path.write_text(json.dumps([entry]), encoding="utf-8")
        result = run("status", "--name", "Plug 39", "--devices", str(path),
                     "--port", str(sim.port), "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dps"] == {"1": True}


def test_help_lists_the_versions_from_the_registry() -> None:
    result = run("status", "--help")
    assert result.exit_code == 0
    assert "3.5|3.9" in result.output


def test_simulate_and_status_3_9_as_processes() -> None:
    sim = Running("simulate", "--version", "3.9", "--id", DEV_ID, "--key", KEY, "--port", "0",
                  "--dps", '{"1": true}', "--json")  # fmt: skip
    try:
        listening = sim.json_line()
        assert listening["event"] == "listening"
        status = subprocess.run(
            [*TUYAFACE, "status", "--id", DEV_ID, "--key", KEY, "--ip", "127.0.0.1",
             "--port", str(listening["port"]), "--version", "3.9", "--json"],
            capture_output=True, text=True, timeout=WAIT, env=environment(),
        )  # fmt: skip
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["dps"] == {"1": True}
        assert sim.interrupt() == 0
    finally:
        sim.kill()


def test_an_unknown_version_is_still_a_usage_error() -> None:
    result = run("status", "--id", DEV_ID, "--key", KEY, "--ip", "127.0.0.1", "--version", "4.2")
    assert result.exit_code == 2
    assert "3.9" in result.output  # the choices named come from the registry

