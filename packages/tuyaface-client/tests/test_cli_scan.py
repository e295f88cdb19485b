"""`tuyaface scan` in process, against announcing simulators on 127.0.0.1 (never a real
broadcast: every port and address is a test one)."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

from click.testing import CliRunner, Result

from tuyaface import Announcer, SimulatedDevice, SimulatorThread
from tuyaface.cli import main

LOCAL = "127.0.0.1"
KEY = "0123456789abcdef"


def free_udp_port() -> int:
    """A port free right now. The scan must bind fixed ports that the simulators are told
    before it starts; the OS does not hand a just-freed port out again at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((LOCAL, 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def announcing(
    dev_id: str, version: str, *, target: tuple[str, int] | None = None, reply_port: int = 0
) -> Iterator[tuple[SimulatorThread, Announcer]]:
    """A simulated device on TCP that announces itself: broadcasts to `target`, or (no
    target) stays silent and answers 3.5 requests on a port of its own."""
    device = SimulatedDevice(dev_id, KEY, version=version)
    with device.serve_in_thread() as sim:
        info = {"gwId": dev_id, "ip": sim.host, "productKey": f"pk-{version}"}
        if target is not None:
            announcer = Announcer(version, info, target=target, interval=0.05, host=LOCAL)
        else:
            answer_on = (LOCAL, 0)
            announcer = Announcer(
                version, info, interval=None, answer_on=answer_on, reply_port=reply_port,
                host=LOCAL,
            )  # fmt: skip
        sim.call(announcer.open())
        try:
            yield sim, announcer
        finally:
            sim.call(announcer.aclose())


def scan(*args: str) -> Result:
    return CliRunner().invoke(main, ["scan", "--bind", LOCAL, *args], prog_name="tuyaface")


def ports(plain: int, encrypted: int, reply: int, request: int) -> list[str]:
    return [
        "--plain-port", str(plain), "--encrypted-port", str(encrypted),
        "--reply-port", str(reply), "--request-port", str(request),
        "--broadcast-address", LOCAL,
    ]  # fmt: skip


def test_scan_finds_a_broadcasting_33_and_a_silent_35_device() -> None:
    plain, encrypted, reply = free_udp_port(), free_udp_port(), free_udp_port()
    with (
        announcing("dev33", "3.3", target=(LOCAL, encrypted)) as (_, loud),
        announcing("dev35", "3.5", reply_port=reply) as (_, silent),
    ):
        assert silent.address is not None
        started = time.monotonic()
        result = scan(*ports(plain, encrypted, reply, silent.address[1]), "--count", "2",
                      "--timeout", "30", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 15  # --count 2 ends the 30 s scan early
    found = json.loads(result.stdout)  # exactly one JSON document: a list
    assert sorted((d["id"], d["ip"], d["version"]) for d in found) == [
        ("dev33", LOCAL, "3.3"),
        ("dev35", LOCAL, "3.5"),
    ]
    assert {d["product_key"] for d in found} == {"pk-3.3", "pk-3.5"}
    assert silent.answered >= 1 and loud.sent >= 1
    progress = result.stderr.splitlines()
    assert progress[0] == "scanning for 30 s ..."
    assert sorted(progress[1:]) == [
        f"found dev33 at {LOCAL} (protocol 3.3)",
        f"found dev35 at {LOCAL} (protocol 3.5)",
    ]


def test_scan_prints_a_table_and_stops_at_the_wanted_id() -> None:
    plain, encrypted = free_udp_port(), free_udp_port()
    with (
        announcing("dev31", "3.1", target=(LOCAL, plain)),
        announcing("dev34", "3.4", target=(LOCAL, encrypted)),
    ):
        result = scan(*ports(plain, encrypted, 0, 9), "--no-request", "--id", "dev34")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "IP", "VERSION", "PRODUCT", "KEY"]
    rows = [line.split() for line in lines[1:]]
    assert rows[-1] == ["dev34", LOCAL, "3.4", "pk-3.4"]
    assert len(rows) <= 2


def test_scan_with_nothing_found() -> None:
    plain, encrypted = free_udp_port(), free_udp_port()
    as_json = scan(*ports(plain, encrypted, 0, 9), "--no-request", "--timeout", "0.2", "--json")
    plain_text = scan(*ports(plain, encrypted, 0, 9), "--no-request", "--timeout", "0.2")
    assert as_json.exit_code == 0 and json.loads(as_json.stdout) == []
    assert plain_text.exit_code == 0 and plain_text.stdout == ""
    assert "no devices found in 0.2 s" in plain_text.stderr


def test_scan_on_a_port_in_use_says_so() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind((LOCAL, 0))  # no SO_REUSEPORT: the scan cannot share it
        port = taken.getsockname()[1]
        result = scan(*ports(port, 0, 0, 9), "--no-request", "--timeout", "0.2", "--json")
    assert result.exit_code == 6, result.output
    error: dict[str, Any] = json.loads(result.stdout)["error"]
    assert str(port) in error["message"] and "--plain-port" in error["message"]
