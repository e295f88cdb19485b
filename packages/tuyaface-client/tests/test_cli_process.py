"""The command as real processes (`python -m tuyaface`): simulators announcing on
127.0.0.1, a scan that finds them, devices.json written from it, status, set, monitor
until Ctrl-C, and a busy device while monitor holds its slot."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

LOCAL = "127.0.0.1"
KEY = "Secret-Key-1234!"
TUYAFACE = [sys.executable, "-m", "tuyaface"]
WAIT = 20.0  # generous: a process start-up on a loaded 2-core machine


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((LOCAL, 0))
        return int(probe.getsockname()[1])


def environment(**more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUYAFACE_")}
    return {**env, **more}


class Running:
    """A `tuyaface` process in the background; its stdout lines are read as they come."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [*TUYAFACE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env or environment(),
        )  # fmt: skip
        self.lines: queue.Queue[str | None] = queue.Queue()
        assert self.process.stdout is not None
        threading.Thread(target=self._pump, args=(self.process.stdout,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put(None)

    def json_line(self) -> dict[str, Any]:
        line = self.lines.get(timeout=WAIT)
        assert line is not None, self.process.stderr.read() if self.process.stderr else ""
        return dict(json.loads(line))

    def interrupt(self) -> int:
        """Ctrl-C, then the exit code."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=WAIT)

    def rest(self) -> list[dict[str, Any]]:
        """The JSON lines printed after the ones already read (once it has ended)."""
        lines = []
        while (line := self.lines.get(timeout=WAIT)) is not None:
            lines.append(json.loads(line))
        return lines

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=WAIT)


def tuyaface(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TUYAFACE, *args], capture_output=True, text=True, timeout=WAIT, env=env or environment()
    )


@pytest.fixture
def simulators() -> Iterator[tuple[int, int, dict[str, int]]]:
    """Simulators of 3.1 and 3.4 announcing to two test ports: (plain, encrypted, ports)."""
    plain, encrypted = free_udp_port(), free_udp_port()
    running = {
        version: Running(
            "simulate", "--version", version, "--id", f"proc{version.replace('.', '')}",
            "--key", KEY, "--port", "0", "--dps", '{"1": false, "2": 20}', "--json",
            "--announce", f"{LOCAL}:{port}", "--announce-interval", "0.1",
        )
        for version, port in (("3.1", plain), ("3.4", encrypted))
    }  # fmt: skip
    try:
        listening = {version: sim.json_line() for version, sim in running.items()}
        assert all(event["event"] == "listening" for event in listening.values())
        yield plain, encrypted, {version: e["port"] for version, e in listening.items()}
        for sim in running.values():
            assert sim.interrupt() == 0  # Ctrl-C is how a simulator ends
    finally:
        for sim in running.values():
            sim.kill()


def test_scan_status_set_and_monitor_as_processes(
    tmp_path: Path, simulators: tuple[int, int, dict[str, int]]
) -> None:
    plain, encrypted, tcp_ports = simulators
    scan = tuyaface(
        "scan", "--json", "--bind", LOCAL, "--plain-port", str(plain), "--encrypted-port",
        str(encrypted), "--no-request", "--count", "2", "--timeout", "10",
    )  # fmt: skip
    assert scan.returncode == 0, scan.stderr
    found = {device["version"]: device for device in json.loads(scan.stdout)}
    assert sorted(found) == ["3.1", "3.4"]
    assert {found[v]["id"] for v in found} == {"proc31", "proc34"}
    assert "found proc31" in scan.stderr

    # devices.json in tinytuya's shape, from what the scan found
    inventory = [
        {"name": f"plug {v}", "id": d["id"], "key": KEY, "ip": d["ip"], "version": d["version"]}
        for v, d in found.items()
    ]
    (tmp_path / "devices.json").write_text(json.dumps(inventory), encoding="utf-8")
    env = environment(TUYAFACE_DEVICES=str(tmp_path / "devices.json"))
    port31, port34 = (str(tcp_ports[v]) for v in ("3.1", "3.4"))

    status = tuyaface("status", "--name", "plug 3.1", "--port", port31, "--json", env=env)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["dps"] == {"1": False, "2": 20}

    changed = tuyaface("set", "--name", "plug 3.4", "--port", port34, "1", "true", "--json",
                       env=env)  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert json.loads(changed.stdout)["dps"] == {"1": True}

    monitor = Running("monitor", "--name", "plug 3.4", "--port", port34, "--json", env=env)
    try:
        assert monitor.json_line()["event"] == "connected"
        status_line = monitor.json_line()
        assert status_line["event"] == "status" and status_line["dps"] == {"1": True, "2": 20}
        busy = tuyaface("status", "--name", "plug 3.4", "--port", port34, "--json", env=env)
        assert busy.returncode == 4, busy.stderr
        assert json.loads(busy.stdout)["error"]["type"] == "DeviceBusyError"
        assert monitor.interrupt() == 0  # Ctrl-C is how monitor ends
        assert monitor.rest() == []
    finally:
        monitor.kill()

    unknown = tuyaface("status", "--name", "plug 9", "--json", env=env)
    assert unknown.returncode == 6
    assert "no device named 'plug 9'" in json.loads(unknown.stdout)["error"]["message"]


def test_console_script_help_lists_the_exit_codes() -> None:
    script = Path(sys.executable).with_name("tuyaface")
    command = [str(script)] if script.exists() else TUYAFACE
    result = subprocess.run(
        [*command, "--help"], capture_output=True, text=True, timeout=WAIT, env=environment()
    )
    assert result.returncode == 0
    assert "Exit codes:" in result.stdout and "6   inventory or configuration" in result.stdout


def test_import_tuyaface_does_not_import_click() -> None:
    script = (
        "import sys\n"
        "import tuyaface, tuyaface.discovery, tuyaface.announce, tuyaface.simulator\n"
        "assert 'click' not in sys.modules, 'import tuyaface imported click'\n"
        "import tuyaface.cli\n"
        "assert 'click' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=WAIT, env=environment())


# `python -m tuyaface`, reporting at exit which modules the process imported
MODULES_AT_EXIT = (
    "import atexit, json, runpy, sys\n"
    "atexit.register(lambda: print('MODULES', json.dumps(sorted(sys.modules)), file=sys.stderr))\n"
    "runpy.run_module('tuyaface', run_name='__main__', alter_sys=True)\n"
)


def test_a_status_process_without_schema_loads_no_asyncio_and_no_model() -> None:
    """`tuyaface status` with nothing that names a schema (no devices.json mapping, category
    or product id, no --definitions) prints raw DPs: it never needs AsyncDevice, asyncio or
    the model layer (nor pathlib: devices.json is not read), so a fresh process does not
    import them (issue 11's start-up)."""
    from tuyaface import SimulatedDevice

    device = SimulatedDevice("startup0", KEY, version="3.3", dps={"1": True})
    with device.serve_in_thread(LOCAL, 0, transport="tcp") as sim:
        result = subprocess.run(
            [sys.executable, "-c", MODULES_AT_EXIT, "status", "--id", "startup0", "--key", KEY,
             "--ip", LOCAL, "--port", str(sim.port), "--version", "3.3", "--json"],
            capture_output=True, text=True, timeout=WAIT, env=environment(),
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["dps"] == {"1": True}
    report = [line for line in result.stderr.splitlines() if line.startswith("MODULES ")]
    loaded = set(json.loads(report[0].split(" ", 1)[1]))
    assert {"tuyaface.device", "tuyaface.cli._status"} <= loaded  # the list is the real one
    unneeded = {"asyncio", "tuyaface.async_device", "tuyaface.model", "importlib.metadata",
                "pathlib"}  # pathlib: devices.json is not read
    assert not loaded & unneeded, sorted(loaded & unneeded)
