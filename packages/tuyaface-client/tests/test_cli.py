"""`tuyaface demo`, `tuyaface simulate` and `tuyaface --version`, and how errors become exit
codes."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from importlib.metadata import version

from click.testing import CliRunner
from simkit import DEV_ID, KEY

from tuyaface import Device
from tuyaface.cli import main

PLUG_CID, SENSOR_CID, ASLEEP_CID = "a4c1380000000001", "a4c1380000000002", "a4c1380000000003"


def test_demo_drives_a_simulator_with_the_client() -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("protocol 3.3: simulated device")
    assert '  push         {"1": true}' in lines
    assert any(line.startswith("protocol 3.5:") for line in lines)
    assert sum("refresh [2]" in line for line in lines) == 2


def test_demo_shows_typed_devices_a_gateway_and_the_bridge() -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "typed devices (protocol 3.5)" in text  # the last --version is used
    assert "  light set    " in text
    assert "  light        on, brightness 50 %, colour temp 30 %, mode white\n" in text
    assert "  refused      bright_value_v2 (DP 22): " in text and "150%; nothing sent\n" in text
    assert re.search(r"\n  plug         on, power [0-9.]+ W, current [0-9.]+ A, "
                     r"voltage [0-9.]+ V, energy [0-9.]+ kWh\n", text)  # fmt: skip
    assert f"  child read   {PLUG_CID} {{\"1\": false}} (cached: the gateway's memory)" in text
    assert f"  child push   {SENSOR_CID} {{\"1\": 221}} (routed by cid to its handle)" in text
    assert (f"  presence     {PLUG_CID} online, {SENSOR_CID} online, {ASLEEP_CID} offline"
            in text)  # fmt: skip
    assert text.splitlines()[-1].endswith(
        'python -m pip install "tuyaface-client[bridge]" && tuyaface bridge --demo'
    )


def test_demo_gateway_presence_on_33_comes_from_answers_and_pushes() -> None:
    result = CliRunner().invoke(main, ["demo", "--version", "3.3"])
    assert result.exit_code == 0, result.output
    assert (f"  presence     {PLUG_CID} online, {SENSOR_CID} online, {ASLEEP_CID} unknown"
            in result.stdout)  # fmt: skip


def test_demo_json_lines() -> None:
    result = CliRunner().invoke(main, ["demo", "--json", "--version", "3.4"])
    assert result.exit_code == 0, result.output
    steps = [json.loads(line) for line in result.stdout.splitlines()]
    assert [s["step"] for s in steps] == [
        "listening", "status", "set", "push", "refresh [2]",
        "typed devices", "light set", "light", "refused", "plug set", "plug",
        "gateway", "child read", "child push", "presence", "next",
    ]  # fmt: skip
    assert all(s["version"] == "3.4" for s in steps[:-1])
    by_step = {s["step"]: s for s in steps}
    assert by_step["push"]["value"] == {"1": True}
    assert by_step["light"]["value"] == {
        "on": True, "brightness_percent": 50.0, "colour_temp_percent": 30.0, "mode": "white"
    }  # fmt: skip
    plug = by_step["plug"]["value"]
    assert plug["on"] is True
    assert set(plug) == {"on", "power_w", "current_a", "voltage_v", "energy_kwh"}
    assert by_step["child read"]["value"] == {"cid": PLUG_CID, "dps": {"1": False},
                                              "cached": True}  # fmt: skip
    assert by_step["child push"]["value"] == {"cid": SENSOR_CID, "dps": {"1": 221}}
    assert by_step["presence"]["value"] == {PLUG_CID: True, SENSOR_CID: True, ASLEEP_CID: False}
    assert by_step["next"]["command"] == "tuyaface bridge --demo"


def test_demo_exits_0_within_a_generous_bound() -> None:
    """The command a newcomer runs first: a few seconds; 60 s is a hang, not a slow box."""
    finished = subprocess.run(
        [sys.executable, "-m", "tuyaface", "demo"], capture_output=True, text=True, timeout=60
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.splitlines()[-1].endswith("tuyaface bridge --demo")


def test_version_names_the_three_installed_distributions() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0, result.output
    installed = {name: version(name) for name in ("tuyaface-client", "tuyaface-codec",
                                                  "tuyaface-transport")}  # fmt: skip
    assert result.stdout == (
        f"tuyaface {installed['tuyaface-client']} (tuyaface-codec {installed['tuyaface-codec']}, "
        f"tuyaface-transport {installed['tuyaface-transport']})\n"
    )
    assert "dev" not in result.stdout  # a release, not a pre-release


def test_simulate_prints_where_it_listens_and_serves_until_interrupted() -> None:
    command = [
        sys.executable, "-c", "from tuyaface.cli import main; main()",
        "simulate", "--version", "3.4", "--id", DEV_ID, "--key", KEY,
        "--dps", '{"1": true, "2": 30}', "--port", "0", "--json",
    ]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            listening = json.loads(process.stdout.readline())
            assert listening["event"] == "listening" and listening["version"] == "3.4"
            device = Device(DEV_ID, KEY, listening["host"], port=listening["port"], version="3.4")
            with device:
                assert device.status() == {"1": True, "2": 30}
            process.send_signal(signal.SIGINT)
            process.wait(timeout=10)  # Ctrl-C ends it (the exit code is the CLI's business)
        finally:
            process.kill()


def test_simulate_on_a_busy_port_fails_with_a_message() -> None:
    runner = CliRunner()
    with subprocess.Popen(
        [sys.executable, "-c", "from tuyaface.cli import main; main()",
         "simulate", "--port", "0", "--json"],
        stdout=subprocess.PIPE, text=True,
    ) as first:  # fmt: skip
        try:
            assert first.stdout is not None
            port = json.loads(first.stdout.readline())["port"]
            result = runner.invoke(main, ["simulate", "--port", str(port)])
            assert result.exit_code != 0
            assert "pick another port" in result.output
        finally:
            first.kill()
