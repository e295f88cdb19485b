"""`tuyaface status`, `set` and `monitor` against simulators on 127.0.0.1, in process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner, Result
from simkit import DEV_ID, simulator, wait_until

from tuyaface import SimulatedDevice, SimulatorThread
from tuyaface.cli import main
from tuyaface.session import Session
from tuyaface_codec import Command, Frame

STATUS_QUERIES = (Command.DP_QUERY, Command.DP_QUERY_NEW)
KEY = "Secret-Key-1234!"  # 16 characters, found nowhere else in the output
ENV_CLEAN = {"TUYAFACE_LOCAL_KEY": None, "TUYAFACE_DEVICES": None}


def run(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(
        main, list(args), env={**ENV_CLEAN, **(env or {})}, prog_name="tuyaface"
    )


def selecting(sim: SimulatorThread, **changes: str) -> list[str]:
    """The options that point a command at `sim`."""
    options = {
        "--id": DEV_ID,
        "--key": KEY,
        "--ip": sim.host,
        "--port": str(sim.port),
        "--version": sim.device.version,
        "--timeout": "2",
        **changes,
    }
    return [word for pair in options.items() for word in pair]


def json_lines(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


@contextlib.contextmanager
def tcp_simulator(version: str, **knobs: Any) -> Iterator[SimulatorThread]:
    with simulator(version, "tcp", key=KEY, **knobs) as sim:
        yield sim


@contextlib.contextmanager
def acting(script: Callable[[], None]) -> Iterator[None]:
    """Run `script` (the device's side of a test) in a thread while the command runs."""
    failures: list[BaseException] = []

    def guarded() -> None:
        try:
            script()
        except BaseException as exc:  # reported by the test, not lost in the thread
            failures.append(exc)

    thread = threading.Thread(target=guarded, daemon=True)
    thread.start()
    yield
    thread.join(30)  # generous: the device side waits on conditions with their own deadlines
    assert not thread.is_alive()
    if failures:
        raise failures[0]


# -- status, set, monitor on each version ------------------------------------------------


def test_status_json_on_each_version(version: str) -> None:
    with tcp_simulator(version, dps={"1": True, "2": 30}) as sim:
        result = run("status", *selecting(sim), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)  # exactly one JSON document
    assert document["dps"] == {"1": True, "2": 30}
    assert document["id"] == DEV_ID and document["version"] == version
    assert document["port"] == sim.port and document["ip"] == "127.0.0.1"
    assert KEY not in result.output


def test_status_prints_a_table_on_each_version(version: str) -> None:
    with tcp_simulator(version, dps={"1": False, "10": "white", "2": 5}) as sim:
        result = run("status", *selecting(sim), "--dp-ids", "1,2,10")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{DEV_ID} at 127.0.0.1:{sim.port}, protocol {version}"
    assert [line.split() for line in lines[1:]] == [
        ["DP", "VALUE"], ["1", "false"], ["2", "5"], ["10", '"white"'],
    ]  # fmt: skip


def test_device22_status_reports_the_dps_asked_for() -> None:
    with tcp_simulator("3.3", device22=True, dps={"1": True, "2": 5, "20": "x"}) as sim:
        default = run("status", *selecting(sim), "--json")
        asked = run("status", *selecting(sim), "--json", "--dp-ids", "1,20")
        bad = run("status", *selecting(sim), "--json", "--dp-ids", "1,a")
    assert json.loads(default.stdout)["dps"] == {"1": True, "2": 5}
    assert json.loads(asked.stdout)["dps"] == {"1": True, "20": "x"}
    assert bad.exit_code == 2 and "'1,a' is not a list of DP ids" in bad.stderr


def test_set_parses_values_and_reports_the_push_on_each_version(version: str) -> None:
    with tcp_simulator(version, dps={"1": False}) as sim:
        words = ["1", "true", "2", "-5", "3", "white", "4", '"7"', "5", "null", "6", "[1,2]"]
        result = run("set", *selecting(sim), *words, "--json")
        state = dict(sim.device.dps)
    assert result.exit_code == 0, result.output
    wanted = {"1": True, "2": -5, "3": "white", "4": "7", "5": None, "6": [1, 2]}
    document = json.loads(result.stdout)
    assert document["set"] == wanted
    assert document["dps"] == wanted  # the device's push confirming the change
    assert state == wanted


def test_set_prints_what_it_did() -> None:
    with tcp_simulator("3.3") as sim:
        result = run("set", *selecting(sim), "1", "true")
        silent = run("set", *selecting(sim), "1", "false", "--wait", "0")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == ["  set 1 = true", '  device reports {"1": true}']
    assert silent.exit_code == 0 and silent.stdout.splitlines()[1:] == ["  set 1 = false"]


def test_monitor_prints_status_and_pushes_on_each_version(version: str) -> None:
    with tcp_simulator(version, dps={"1": False}) as sim:

        def press_the_button() -> None:
            wait_until(lambda: sim.push({"1": True}), "a client to push to")

        with acting(press_the_button):
            result = run("monitor", *selecting(sim), "--json", "--count", "1")
    assert result.exit_code == 0, result.output
    events = json_lines(result)
    assert [e["event"] for e in events] == ["connected", "status", "push"]
    assert events[-1]["dps"] == {"1": True}
    assert all("time" in e for e in events)


def test_monitor_follows_a_drop_and_the_reconnection() -> None:
    # The status answer waits (reply_delay), and the device acts once it has answered:
    # the drop comes after the status (test_monitor_follows_a_drop_before_the_first_answer
    # has one before it).
    with tcp_simulator("3.4", dps={"1": False}, reply_delay=0.3) as sim:

        def device_side() -> None:
            wait_until(lambda: answered_a_status_query(sim), "the monitor's status query")
            assert sim.push({"1": True})
            assert sim.disconnect()
            wait_until(
                lambda: sim.device.connections >= 2 and sim.push({"2": 7}), "the reconnection"
            )

        with acting(device_side):
            result = run("monitor", *selecting(sim), "--json", "--count", "2")
    assert result.exit_code == 0, result.output
    events = json_lines(result)
    assert [e["event"] for e in events] == [
        "connected", "status", "push", "disconnected", "connected", "push",
    ]  # fmt: skip
    assert "closed the connection" in events[3]["reason"]
    assert events[-1]["dps"] == {"2": 7}


def answered_a_status_query(sim: SimulatorThread, count: int = 1) -> bool:
    return sum(frame.cmd in STATUS_QUERIES for frame in list(sim.device.requests)) >= count


_DROPS: set[asyncio.Task[None]] = set()


@attrs.define(eq=False)
class PushesAndDrops(SimulatedDevice):
    """Instead of answering its first status query: a button press (a push), then the
    connection dropped; later queries are answered."""

    dropped: bool = attrs.field(default=False, init=False)

    def _on_status(self, session: Session, frame: Frame) -> None:
        connection = self._active
        if self.dropped or connection is None:
            super()._on_status(session, frame)
            return
        self.dropped = True
        self.dps["1"] = True
        self._push(session, {"1": True})

        async def drop() -> None:  # once the push went out
            await connection.flush()
            await connection.transport.aclose()

        task = asyncio.get_running_loop().create_task(drop())
        _DROPS.add(task)
        task.add_done_callback(_DROPS.discard)


def test_monitor_follows_a_drop_before_the_first_answer() -> None:
    # A drop between the connection and the first status answer ended the command (exit
    # 3), although only the first connection must succeed: it is followed as any drop,
    # and the status comes from the next connection.
    device = PushesAndDrops(DEV_ID, KEY, version="3.4", dps={"1": False})
    with device.serve_in_thread(transport="tcp") as sim:

        def device_side() -> None:
            wait_until(lambda: answered_a_status_query(sim, 2), "a status query again")
            wait_until(lambda: sim.push({"2": 7}), "the reconnection")

        with acting(device_side):
            result = run("monitor", *selecting(sim), "--json", "--count", "2")
    assert result.exit_code == 0, result.output
    events = json_lines(result)
    assert [e["event"] for e in events] == [
        "connected", "push", "disconnected", "connected", "status", "push",
    ]  # fmt: skip
    assert events[1]["dps"] == {"1": True}
    assert "closed the connection" in events[2]["reason"]
    assert events[4]["dps"] == {"1": True}
    assert events[-1]["dps"] == {"2": 7}
    assert device.connections == 2


def test_monitor_stops_after_duration_with_plain_lines() -> None:
    with tcp_simulator("3.3", dps={"1": True}) as sim:
        started = time.monotonic()
        result = run("monitor", *selecting(sim), "--duration", "0.3")
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 0.3 + 8.0  # it stops (load cannot stretch it so far)
    words = [line.split(" ", 1)[1] for line in result.stdout.splitlines()]
    assert words == ["connected", 'status {"1": true}']


# -- device selection: devices.json and the environment -----------------------------------


def inventory(sim: SimulatorThread, **fields: Any) -> list[dict[str, Any]]:
    """A tinytuya-style devices.json naming `sim` "Desk plug", with a second device."""
    entry = {
        "name": "Desk plug", "id": DEV_ID, "key": KEY, "ip": sim.host,
        "version": sim.device.version, "mac": "aa:bb:cc:dd:ee:ff", "category": "cz",
        "product_name": "Smart Plug", "icon": "https://example.invalid/x.png", **fields,
    }  # fmt: skip
    other = {"name": "Lamp", "id": "otherdevice000000001", "key": "x" * 16, "ip": "", "version": ""}
    return [entry, other]


def write(path: Path, data: Any) -> str:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def test_name_from_devices_option_env_and_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with tcp_simulator("3.3", dps={"1": True}) as sim:
        path = write(tmp_path / "devices.json", inventory(sim))
        port = ["--port", str(sim.port)]
        by_option = run("status", "--name", "Desk plug", "--devices", path, *port, "--json")
        by_env = run("status", "--name", "desk PLUG", *port, env={"TUYAFACE_DEVICES": path})
        here = tmp_path / "here"
        here.mkdir()
        write(here / "devices.json", inventory(sim))
        monkeypatch.chdir(here)
        by_cwd = run("status", "--id", DEV_ID, *port)
    assert by_option.exit_code == 0, by_option.output
    assert json.loads(by_option.stdout)["name"] == "Desk plug"
    assert json.loads(by_option.stdout)["dps"] == {"1": True}
    assert by_env.exit_code == 0, by_env.output
    assert by_env.stdout.startswith(f"{DEV_ID} (Desk plug) at")
    assert by_cwd.exit_code == 0, by_cwd.output


def test_key_from_the_environment_and_options_override_the_file(tmp_path: Path) -> None:
    with tcp_simulator("3.5", dps={"1": True}) as sim:
        entry = inventory(sim, key="", ip="192.0.2.1", version="3.1")
        path = write(tmp_path / "devices.json", entry)
        result = run(
            "status", "--name", "Desk plug", "--devices", path, "--ip", sim.host,
            "--version", "3.5", "--port", str(sim.port), "--json",
            env={"TUYAFACE_LOCAL_KEY": KEY},
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dps"] == {"1": True}


def test_a_complete_command_line_needs_no_devices_json(tmp_path: Path) -> None:
    with tcp_simulator("3.3") as sim:
        broken = write(tmp_path / "devices.json", "{not json")
        result = run("status", *selecting(sim), env={"TUYAFACE_DEVICES": broken})
    assert result.exit_code == 0, result.output


# -- exit codes, each from a real cause ---------------------------------------------------


def failing(result: Result, code: int, *needles: str, stream: bool = False) -> dict[str, Any]:
    """Check a --json failure: the code, one JSON error document (the last line of a
    stream), and its message."""
    assert result.exit_code == code, result.output
    error = (json_lines(result)[-1] if stream else json.loads(result.stdout))["error"]
    assert error["exit_code"] == code
    for needle in needles:
        assert needle in error["message"], error["message"]
        assert needle in result.stderr
    assert KEY not in result.output
    return dict(error)


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        ("[{\"id\": \"x\",}]", ("not valid JSON", "line 1, column")),
        ('{"devices": []}', ("holds a JSON object", "a list of objects")),
        ('[{"name": "no id"}]', ("entry 0", '"id"')),
        ("[1, 2]", ("entry 0",)),
    ],
)
def test_malformed_devices_json_is_exit_6(
    tmp_path: Path, content: str, needles: Sequence[str]
) -> None:
    path = write(tmp_path / "devices.json", content)
    result = run("status", "--name", "Desk plug", "--devices", path, "--json")
    error = failing(result, 6, str(path), *needles)
    assert error["type"] == "ConfigError"


def test_inventory_problems_are_exit_6_with_what_to_do(tmp_path: Path) -> None:
    with tcp_simulator("3.3") as sim:
        good = write(tmp_path / "devices.json", inventory(sim))
        twice = write(tmp_path / "twice.json", inventory(sim) + inventory(sim)[:1])
        missing = str(tmp_path / "nowhere.json")
        cases = [
            (["--name", "Kitchen", "--devices", good], ("no device named 'Kitchen'", "'Lamp'")),
            (["--name", "Desk plug", "--devices", twice], ("2 devices", "--id")),
            (["--name", "Lamp", "--devices", good], ("no ip", "--ip", "tuyaface scan")),
            (["--name", "Lamp", "--devices", good, "--ip", "192.0.2.9"], ("--version",)),
            (["--id", "unknown", "--devices", good], ("'unknown' is not in",)),
            (["--name", "Desk plug", "--devices", missing], ("does not exist", "--devices")),
            (["--name", "Lamp", "--id", DEV_ID, "--devices", good], ("only one of",)),
            (["--id", DEV_ID, "--ip", "x", "--version", "3.3", "--devices", missing], ()),
        ]
        for options, needles in cases:
            failing(run("status", *options, "--json"), 6, *needles)
        no_key = inventory(sim, key="")
        path = write(tmp_path / "nokey.json", no_key)
        failing(run("status", "--name", "Desk plug", "--devices", path, "--json"), 6, "--key")
        short = run("status", *selecting(sim, **{"--key": "tooshort"}), "--json")
        failing(short, 6, "not 16 plain characters")
        odd = write(tmp_path / "odd.json", inventory(sim, version="9.7"))  # no plugin has it
        failing(run("status", "--name", "Desk plug", "--devices", odd, "--json"), 6, "'9.7'")


def test_usage_errors_are_exit_2_and_json_with_json() -> None:
    cases = [
        (["status", "--json"], "say which device"),
        (["status", "--json", "--bogus"], "No such option"),
        (["status", "--json", "--id", "x", "--version", "9.7"], "9.7"),
        (["status", "--json", "--id", "x", "--port", "70000"], "70000"),
        (["set", "--json", "--id", "x", "1"], "DP VALUE pairs"),
        (["set", "--json", "--id", "x", "on", "1"], "'on' is not a DP id"),
        (["set", "--json", "--id", "x", "1", "true", "1", "false"], "DP 1 is given twice"),
        (["scan", "--json", "--timeout", "0"], "0"),
        (["nosuchcommand", "--json"], "No such command"),
    ]
    for args, needle in cases:
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        error = json.loads(result.stdout)["error"]
        assert error["exit_code"] == 2 and needle in error["message"], (args, error)
        assert "Usage:" in result.stderr


def test_usage_error_without_json_is_clicks_message() -> None:
    result = run("set", "--id", "x", "abc", "1")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Try 'tuyaface set --help' for help." in result.stderr


def test_unreachable_port_is_exit_3() -> None:
    with tcp_simulator("3.3") as sim:
        port = sim.port
    result = run("status", *selecting(sim, **{"--port": str(port)}), "--json")
    error = failing(result, 3, "cannot connect")
    assert error["type"] == "ConnectError"


def test_a_device_that_does_not_answer_is_exit_3() -> None:
    with tcp_simulator("3.3", answering=False) as sim:
        result = run("status", *selecting(sim, **{"--timeout": "0.3"}), "--json")
    failing(result, 3, "no answer")


def test_a_simulator_holding_its_one_slot_is_exit_4(version: str) -> None:
    with tcp_simulator(version) as sim, sim_client(sim) as holder:
        holder()
        result = run("status", *selecting(sim), "--json")
        plain = run("monitor", *selecting(sim))
    error = failing(result, 4, "only connection slot")
    assert error["type"] == "DeviceBusyError"
    assert plain.exit_code == 4 and "error: " in plain.stderr and plain.stdout == ""


@contextlib.contextmanager
def sim_client(sim: SimulatorThread) -> Iterator[Callable[[], None]]:
    """A client holding `sim`'s only connection once called."""
    from tuyaface import Device

    device = Device(DEV_ID, KEY, sim.host, port=sim.port, version=sim.device.version)
    try:
        yield lambda: device.heartbeat()
    finally:
        device.close()


@pytest.mark.parametrize("version", ["3.2", "3.3", "3.4", "3.5"])
def test_wrong_key_is_exit_5(version: str) -> None:
    with tcp_simulator(version) as sim:
        wrong = selecting(sim, **{"--key": "fedcba9876543210", "--timeout": "0.3"})
        result = run("status", *wrong, "--json")
        monitored = run("monitor", *wrong, "--json")
    failing(result, 5, "wrong local key or protocol version")
    failing(monitored, 5, "wrong local key or protocol version", stream=True)


def test_wrong_key_on_31_shows_only_when_setting() -> None:
    """3.1 reads status in plain text, and a 3.1 device ignores a control under another
    key: the read works and the set times out (exit 3), as with real devices."""
    with tcp_simulator("3.1", dps={"1": False}) as sim:
        wrong = selecting(sim, **{"--key": "fedcba9876543210", "--timeout": "0.3"})
        read = run("status", *wrong, "--json")
        written = run("set", *wrong, "1", "true", "--json")
    assert read.exit_code == 0 and json.loads(read.stdout)["dps"] == {"1": False}
    failing(written, 3, "no answer")


def test_wrong_protocol_version_is_exit_5() -> None:
    with tcp_simulator("3.3") as sim:
        result = run("status", *selecting(sim, **{"--version": "3.4", "--timeout": "0.3"}))
    assert result.exit_code == 5, result.output
    assert "wrong local key or protocol version" in result.stderr


def test_device_error_answer_is_exit_7() -> None:
    with tcp_simulator("3.3", error_text="data format error") as sim:
        result = run("set", *selecting(sim), "1", "true", "--json")
    error = failing(result, 7, "data format error")
    assert error["type"] == "DeviceError"


def test_a_plugin_raising_is_an_internal_error_exit_1() -> None:
    import tuyaface
    from tuyaface.plugins import default_plugin_manager, use_plugin_manager
    from tuyaface_transport.hookspecs import hookimpl

    class BrokenPlugin:
        @hookimpl
        def tuyaface_provide_transports(self) -> list[Any]:
            raise RuntimeError("broken transport plugin")

    manager = tuyaface.make_plugin_manager(load_entry_points=False)
    manager.register(BrokenPlugin(), name="broken")
    warmed = default_plugin_manager()  # put back after: a fresh one reads entry points
    use_plugin_manager(manager)
    try:
        result = run("status", "--id", "x", "--key", KEY, "--ip", "127.0.0.1", "--version",
                     "3.3", "--json")  # fmt: skip
        verbose = run("-v", "status", "--id", "x", "--key", KEY, "--ip", "127.0.0.1",
                      "--version", "3.3")  # fmt: skip
    finally:
        use_plugin_manager(warmed)
    error = failing(result, 1, "internal error", "broken transport plugin", "please report")
    assert error["type"] == "RuntimeError"
    assert "Traceback" not in result.stderr
    assert verbose.exit_code == 1 and "Traceback" in verbose.stderr


def test_help_documents_the_exit_codes() -> None:
    result = run("--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    for code, meaning in [
        ("0", "success"), ("1", "internal error"), ("2", "usage"), ("3", "device unreachable"),
        ("4", "device busy"), ("5", "wrong local key or protocol version"),
        ("6", "inventory or configuration"),
    ]:  # fmt: skip
        assert f"{code} {meaning}" in text
    for command in ("scan", "status", "set", "monitor", "simulate", "demo"):
        assert command in result.stdout
