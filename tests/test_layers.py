"""Cross-package rules: layers import downward only, and the three packages move in lockstep."""

from __future__ import annotations

import ast
import re
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


def _version(folder: str) -> str:
    """The package's `__version__`, read from its source as the build backend reads it."""
    name = LAYERS[folder][0]
    init = PACKAGES / folder / "src" / name / "__init__.py"
    found = re.findall(r'^__version__ = "([^"]+)"', init.read_text(), re.MULTILINE)
    assert len(found) == 1, f"{init}: one __version__ line expected"
    return str(found[0])


def test_one_lockstep_version_with_exact_sibling_pins() -> None:
    for folder in LAYERS:
        project = _project(folder)
        assert project["dynamic"] == ["version"] and "version" not in project, folder
    versions = {folder: _version(folder) for folder in LAYERS}
    assert len(set(versions.values())) == 1, versions
    version = next(iter(versions.values()))
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), "a final release version"
    client = _project("tuyaface-client")
    dependencies = client["dependencies"]
    assert isinstance(dependencies, list)
    for sibling in ("tuyaface-codec", "tuyaface-transport"):
        assert f"{sibling}=={version}" in dependencies
    extras = client["optional-dependencies"]
    assert isinstance(extras, dict)
    assert extras["fast"] == [f"tuyaface-codec[fast]=={version}"]


@pytest.mark.parametrize("folder", sorted(LAYERS))
def test_distribution_names_and_license(folder: str) -> None:
    project = _project(folder)
    assert project["name"] == folder  # never "tuyaface": that is the unrelated 1.x on PyPI
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    # the package's copy (what its wheel and sdist ship) is the repository's LICENSE
    assert (PACKAGES / folder / "LICENSE").read_bytes() == (ROOT / "LICENSE").read_bytes()
    assert "2026 the tuyaface authors" in (ROOT / "LICENSE").read_text()
    assert "Typing :: Typed" in project["classifiers"]  # type: ignore[operator]


@pytest.mark.parametrize("folder", sorted(LAYERS))
def test_every_package_ships_py_typed(folder: str) -> None:
    name = LAYERS[folder][0]
    assert (PACKAGES / folder / "src" / name / "py.typed").is_file()
