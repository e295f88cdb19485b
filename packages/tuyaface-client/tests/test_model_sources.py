"""Where schemas come from (docs/devices.md §1, §2, §4): a wizard-made devices.json, our
definition files, tuya-local YAML (the simple subset; advanced files skipped with a note),
built-in category defaults, and raw DPs for everything else."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tuyaface.model import (
    BUILTIN,
    DefinitionError,
    DpType,
    builtin_schema,
    load_definitions,
    schema_for,
)

DATA = Path(__file__).parent / "data"
WIZARD = json.loads((DATA / "wizard" / "devices.json").read_text(encoding="utf-8"))


def entry(name: str) -> dict[str, Any]:
    return next(e for e in WIZARD if e["name"] == name)


def test_wizard_mapping() -> None:
    schema = schema_for(entry("Hall light"))
    assert schema.source == "devices.json mapping"
    bright = schema.spec("bright_value_v2")
    assert (bright.dp, bright.type, bright.min, bright.max) == ("22", DpType.INTEGER, 10, 1000)
    assert schema.spec("temp_value_v2").max == 1000  # `values` given as a JSON string
    assert schema.spec("work_mode").values == ("white", "colour", "scene", "music")
    assert schema.spec("colour_data_v2").colour == "hsv16"
    assert schema.parse({"bright_value_v2": "50%"}) == {"22": 505}


def test_wizard_plug_scales_bitmaps_and_unknown_types() -> None:
    schema = schema_for(entry("Desk plug"))
    values = schema.decode({"19": 2305, "20": 2301, "17": 1234, "26": 5, "44": "x", "99": 1})
    assert values["cur_power"] == 230.5 and values["cur_voltage"] == 230.1
    assert values["add_ele"] == 1.234
    assert values["fault"] == ["ov_cr", "ov_pwr"]
    assert values["mystery"] == "x" and schema.spec("mystery").type is DpType.RAW
    assert values["99"] == 1  # a DP nobody knows stays a raw DP
    assert schema.encode({"99": [1, 2]}) == {"99": [1, 2]}


def test_empty_mapping_falls_back_to_the_category() -> None:
    schema = schema_for(entry("Porch sensor"))
    assert schema.source.startswith("built-in category wsdcg")
    readings = {r.code: r for r in schema.readings({"1": 215, "2": 40})}
    assert (readings["va_temperature"].value, readings["va_temperature"].unit) == (21.5, "°C")


def test_lower_sources_fill_in_dps_the_status_shows() -> None:
    light = {**entry("Hall light"), "mapping": {"20": {"code": "switch_led", "type": "Boolean"}}}
    schema = schema_for(light, {"20": True, "22": 100, "77": 1})
    assert schema.spec("bright_value_v2").dp == "22"
    assert "built-in category dj" in schema.source and "DPs 22" in schema.source
    assert schema.find("77") is None


def test_folder_of_definitions() -> None:
    found = load_definitions([DATA / "definitions"])
    names = sorted(Path(d.schema.source).name for d in found.definitions)
    assert names == ["dehumidifier-mixed.yaml", "energy-plug.yaml", "garage-cover.json"]
    notes = "\n".join(found.notes)
    assert "broken.json: skipped" in notes
    assert "conditional-light.yaml: DP 20 skipped (mapping uses conditions)" in notes
    assert "conditional-light.yaml: skipped (no DP in the simple subset)" in notes
    assert "dehumidifier-mixed.yaml: DP 5 skipped (mapping uses value_redirect)" in notes
    assert "dehumidifier-mixed.yaml: DP 6 skipped (type 'float'" in notes
    assert "not-yaml.yaml: skipped (not valid YAML" in notes


def test_yaml_subset_by_product_id_and_dp_set() -> None:
    found = load_definitions([DATA / "definitions"])
    plug = schema_for(None, None, found, product_id="keyyamlplug00001")
    assert plug.source.endswith("energy-plug.yaml")
    assert plug.spec("19").scale == 1 and plug.spec("19").unit == "W"  # divisor 10 -> 10**1
    assert plug.decode({"19": 1234})[plug.spec("19").code] == 123.4
    assert plug.spec("38").type is DpType.ENUM and plug.spec("38").values == ("off", "on", "memory")
    by_dps = schema_for(None, {"1": True, "19": 5}, found)  # optional DPs may be absent
    assert by_dps.source.endswith("energy-plug.yaml")
    assert schema_for(None, {"1": "text", "19": 5}, found).source == "none (raw DPs)"


def test_our_format_matches_by_product_and_says_why_not() -> None:
    found = load_definitions([DATA / "definitions"])
    cover = schema_for({"product_id": "keygaragecover01", "category": "cl"}, None, found)
    assert cover.spec("control").values == ("up", "down", "stop")
    with pytest.raises(DefinitionError, match="not a folder"):
        load_definitions([DATA / "nowhere"])


def test_every_builtin_category_encodes_its_own_writable_dps() -> None:
    for key, schema in BUILTIN.items():
        assert schema.entities(), key
        for spec in schema.specs.values():
            if spec.readonly:
                continue
            if spec.type is DpType.INTEGER:
                assert spec.encode(spec.percent("100%")) == spec.max
    assert builtin_schema("light", {"1": True, "5": "x"}) is BUILTIN["dj-v1"]
    assert builtin_schema("dj", {"1": True, "2": 50}) is BUILTIN["dj-dimmer"]
    assert builtin_schema("nope") is None


def test_the_library_does_not_import_yaml() -> None:
    code = (
        "import sys, tuyaface, tuyaface.model;"
        "from tuyaface.model import load_definitions;"
        f"load_definitions([{str(DATA / 'wizard')!r}]);"
        "print('yaml' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_pyyaml_names_the_extra(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: x\n", encoding="utf-8")
    code = (
        "import sys; sys.modules['yaml'] = None;"
        "from tuyaface.model import load_definitions;"
        f"load_definitions([{str(tmp_path)!r}])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode != 0
    assert "pip install 'tuyaface-client[yaml]'" in out.stderr
