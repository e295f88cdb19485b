"""Cross-package rules: layers import downward only, and the three packages move in lockstep."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ROOT / "packages"

# package folder -> (import name, import names it must never use)
LAYERS = {
    "tuyaface-codec": ("tuyaface_codec", {"tuyaface_transport", "tuyaface"}),
    "tuyaface-transport": ("tuyaface_transport", {"tuyaface_codec", "tuyaface"}),
    "tuyaface-client": ("tuyaface", set()),
}


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("folder", sorted(LAYERS))
def test_layers_import_downward_only(folder: str) -> None:
    name, forbidden = LAYERS[folder]
    sources = sorted((PACKAGES / folder / "src" / name).rglob("*.py"))
    assert sources, f"no sources found for {folder}"
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_roots(path) & forbidden)
        for path in sources
        if _imported_roots(path) & forbidden
    }
    assert offenders == {}


def _project(folder: str) -> dict[str, object]:
    data = tomllib.loads((PACKAGES / folder / "pyproject.toml").read_text())
    project = data["project"]
    assert isinstance(project, dict)
    return project


def test_one_lockstep_version_with_exact_sibling_pins() -> None:
    versions = {folder: _project(folder)["version"] for folder in LAYERS}
    assert len(set(versions.values())) == 1, versions
    version = next(iter(versions.values()))
    dependencies = _project("tuyaface-client")["dependencies"]
    assert isinstance(dependencies, list)
    for sibling in ("tuyaface-codec", "tuyaface-transport"):
        assert f"{sibling}=={version}" in dependencies


@pytest.mark.parametrize("folder", sorted(LAYERS))
def test_every_package_ships_py_typed(folder: str) -> None:
    name = LAYERS[folder][0]
    assert (PACKAGES / folder / "src" / name / "py.typed").is_file()
