"""The CLI with DP schemas: `describe`, `status` with codes and units, `set CODE=VALUE` in
user units (a rejected value is exit 2 and nothing reaches the device), `detect`, and
`simulate --category / --schema`; a wizard-made devices.json, over TCP on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from simkit import DEV_ID
from test_cli_process import Running

from tuyaface import Device, SimulatedDevice, SimulatorThread
from tuyaface.cli import main
from tuyaface.model import (
    BUILTIN,
    Cover,
    DpType,
    DpValueError,
    load_definitions,
    schema_for,
    simulated_device,
)

KEY = "0123456789abcdef"
DATA = Path(__file__).parent / "data"
ENV_CLEAN = {"TUYAFACE_LOCAL_KEY": None, "TUYAFACE_DEVICES": None, "TUYAFACE_DEFINITIONS": None}


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=ENV_CLEAN, prog_name="tuyaface")


def inventory(tmp_path: Path, version: str, **extra: Any) -> Path:
    """The test wizard file, every device pointed at DEV_ID, plus one entry per category."""
    entries = json.loads((DATA / "wizard" / "devices.json").read_text(encoding="utf-8"))
    for entry in entries:
        entry.update(id=DEV_ID, version=version)
    for key, schema in BUILTIN.items():
        entries.append({"name": f"Sim {key}", "id": DEV_ID, "key": KEY, "ip": "127.0.0.1",
                        "version": version, "category": schema.category, **extra})
    path = tmp_path / "devices.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def served(sim: SimulatedDevice) -> SimulatorThread:
    return sim.serve_in_thread("127.0.0.1", 0, transport="asyncio")


@pytest.mark.parametrize("version", ["3.3", "3.4", "3.5"])
def test_hall_light_describe_and_set_in_percent(tmp_path: Path, version: str) -> None:
    devices = inventory(tmp_path, version)
    sim = simulated_device(DEV_ID, KEY, category="light", version=version)
    with served(sim) as thread:
        where = ["--devices", str(devices), "--port", str(thread.port)]
        shown = run("describe", "Hall light", *where)
        assert shown.exit_code == 0, shown.output
        assert "schema: devices.json mapping" in shown.stdout
        assert "bright_value_v2" in shown.stdout and "10 - 1000" in shown.stdout
        done = run("set", "Hall light", "bright_value_v2=50%", "switch_led=on", *where)
        assert done.exit_code == 0, done.output
        assert sim.dps["22"] == 505 and sim.dps["20"] is True
        status = json.loads(run("status", "Hall light", "--json", *where).stdout)
        values = {v["code"]: v for v in status["values"]}
        assert values["bright_value_v2"]["value"] == 505
        assert values["colour_data_v2"]["value"] == {"hue": 0, "saturation": 1.0, "value": 1.0}


def test_rejected_values_are_usage_errors_and_nothing_is_sent(tmp_path: Path) -> None:
    devices = inventory(tmp_path, "3.3")
    sim = simulated_device(DEV_ID, KEY, category="light", version="3.3")
    with served(sim) as thread:
        where = ["--devices", str(devices), "--port", str(thread.port)]
        for value, says in (("bright_value_v2=2000", "10 - 1000"),
                            ("work_mode=disco", "white, colour, scene, music"),
                            ("bright_value_v2=150%", "0% - 100%"),
                            ("nonsense=1", "no DP named 'nonsense'")):
            result = run("set", "Hall light", value, *where)
            assert result.exit_code == 2, result.output
            assert says in result.output and "nothing was sent" in result.output
        assert sim.connections == 0 and not sim.requests  # nothing reached the device


def test_plug_status_in_units_and_raw(tmp_path: Path) -> None:
    devices = inventory(tmp_path, "3.4")
    sim = simulated_device(DEV_ID, KEY, category="plug", version="3.4",
                           dps={"19": 2305, "26": 5})
    with served(sim) as thread:
        where = ["--devices", str(devices), "--port", str(thread.port)]
        text = run("status", "Desk plug", *where).stdout
        assert "cur_power" in text and "230.5" in text and " W" in text
        assert '["ov_cr", "ov_pwr"]' in text
        raw = run("status", "Desk plug", "--raw", *where).stdout
        assert "cur_power" not in raw and "2305" in raw
        done = run("set", "--name", "Desk plug", "switch_1=on", "9", "60", *where)
        assert done.exit_code == 0, done.output
        assert sim.dps["1"] is True and sim.dps["9"] == 60


def test_every_builtin_category_describe_and_set(tmp_path: Path) -> None:
    devices = inventory(tmp_path, "3.3")
    for key, schema in BUILTIN.items():
        writable = next(s for s in schema.specs.values()
                        if not s.readonly and s.type in (DpType.BOOLEAN, DpType.INTEGER)
                        ) if any(not s.readonly for s in schema.specs.values()) else None
        sim = simulated_device(DEV_ID, KEY, category=key, version="3.3")
        with served(sim) as thread:
            where = ["--devices", str(devices), "--port", str(thread.port)]
            shown = json.loads(run("describe", f"Sim {key}", "--json", *where).stdout)
            assert shown["schema"].startswith(f"built-in category {schema.category}"), key
            assert {row["code"] for row in shown["dps"]} == {s.code for s in schema.specs.values()}
            if writable is None:
                continue
            value = "on" if writable.type is DpType.BOOLEAN else "100%"
            done = run("set", f"Sim {key}", f"{writable.code}={value}", *where)
            assert done.exit_code == 0, (key, done.output)
            assert sim.dps[writable.dp] in (True, writable.max), key


def test_definitions_folder_and_notes(tmp_path: Path) -> None:
    devices = tmp_path / "devices.json"
    devices.write_text(json.dumps([{"name": "Yaml plug", "id": DEV_ID, "key": KEY,
                                    "ip": "127.0.0.1", "version": "3.3",
                                    "product_id": "keyyamlplug00001"}]), encoding="utf-8")
    result = run("describe", "Yaml plug", "--offline", "--devices", str(devices),
                 "--definitions", str(DATA / "definitions"))
    assert result.exit_code == 0, result.output
    assert "energy-plug.yaml" in result.stdout and "power" in result.stdout
    assert "note:" in result.stderr and "conditional-light.yaml" in result.stderr


def test_detect_lists_hidden_dps(tmp_path: Path) -> None:
    sim = SimulatedDevice(DEV_ID, KEY, version="3.3", device22=True,
                          dps={"1": True, "24": "x", "104": 3})
    with served(sim) as thread:
        result = run("detect", "--id", DEV_ID, "--key", KEY, "--ip", "127.0.0.1",
                     "--port", str(thread.port), "--version", "3.3", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["dp_ids"] == "1,24,104"


def test_simulate_options_are_checked() -> None:
    bad = run("simulate", "--category", "toaster")
    assert bad.exit_code == 2 and "toaster" in bad.output
    assert "--schema" in run("simulate", "--help").stdout


def test_simulate_category_and_schema_as_processes() -> None:
    cover = Running("simulate", "--category", "cover", "--id", DEV_ID, "--key", KEY,
                    "--port", "0", "--json")
    plug = Running("simulate", "--schema", str(DATA / "definitions" / "garage-cover.json"),
                   "--id", DEV_ID, "--key", KEY, "--port", "0", "--version", "3.5", "--json")
    try:
        port = cover.json_line()["port"]
        with Device(DEV_ID, KEY, "127.0.0.1", port=port, version="3.3") as device:
            typed = Cover(device)
            typed.set_position(20)
            deadline = 50
            while typed.position() != 20 and deadline:  # 10 % a half second
                device.wait_for_push(1.0)
                deadline -= 1
            assert typed.position() == 20
            with pytest.raises(DpValueError):
                typed.set_position(101)
        port = plug.json_line()["port"]
        with Device(DEV_ID, KEY, "127.0.0.1", port=port, version="3.5") as device:
            found = load_definitions([DATA / "definitions"])
            garage = Cover(device, schema_for({"product_id": "keygaragecover01"}, None, found))
            garage.close()
            assert device.status()["1"] == "down"
            device.set_status({"1": "sideways"})  # not in the schema: ignored
            assert device.status()["1"] == "down"
        assert cover.interrupt() == 0 and plug.interrupt() == 0
    finally:
        cover.kill()
        plug.kill()

