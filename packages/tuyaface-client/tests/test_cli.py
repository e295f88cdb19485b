"""`tuyaface demo`, `tuyaface simulate` and `tuyaface --version`, and how errors become exit
codes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from importlib.metadata import version

from click.testing import CliRunner
from simkit import DEV_ID, KEY

from tuyaface import Device
from tuyaface.cli import main


def test_demo_drives_a_simulator_with_the_client() -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("protocol 3.3: simulated device")
    assert '  push         {"1": true}' in lines
    assert any(line.startswith("protocol 3.5:") for line in lines)
    assert sum("refresh [2]" in line for line in lines) == 2


def test_demo_json_lines() -> None:
    result = CliRunner().invoke(main, ["demo", "--json", "--version", "3.4"])
    assert result.exit_code == 0, result.output
    steps = [json.loads(line) for line in result.stdout.splitlines()]
    assert [s["step"] for s in steps] == ["listening", "status", "set", "push", "refresh [2]"]
    assert steps[3]["value"] == {"1": True}


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
