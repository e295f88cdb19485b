"""The codec does no I/O and draws no randomness or time (docs/design.md §1).

Every module of tuyaface_codec is parsed, not imported, so a forbidden import inside a function
or behind `if TYPE_CHECKING` is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tuyaface_codec

FORBIDDEN_MODULES = {"socket", "asyncio", "threading", "time", "random", "secrets"}
PACKAGE_DIR = Path(tuyaface_codec.__file__).parent


def violations(source: str) -> list[str]:
    """Forbidden imports and any use of os.urandom in `source`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [
                f"import {alias.name}"
                for alias in node.names
                if alias.name.split(".")[0] in FORBIDDEN_MODULES
            ]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"from {node.module} import ...")
            if node.module == "os" and any(alias.name == "urandom" for alias in node.names):
                found.append("from os import urandom")
        elif isinstance(node, ast.Attribute) and node.attr == "urandom":
            found.append("os.urandom")
        elif isinstance(node, ast.Constant) and node.value == "urandom":
            found.append("'urandom' (getattr?)")
    return found


def codec_files() -> list[Path]:
    return sorted(PACKAGE_DIR.rglob("*.py"))


def test_every_codec_module_is_scanned() -> None:
    names = {path.relative_to(PACKAGE_DIR).as_posix() for path in codec_files()}
    assert {"__init__.py", "protocol.py", "decoder.py", "udp.py", "versions/v35.py"} <= names
    assert any(name.startswith("crypto/") for name in names)


@pytest.mark.parametrize(
    "path", codec_files(), ids=lambda p: p.relative_to(PACKAGE_DIR).as_posix()
)
def test_no_io_time_or_randomness(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "import socket",
        "import asyncio.events",
        "from time import monotonic",
        "def f():\n    import random\n    return random.random()",
        "import os\nos.urandom(12)",
        "from os import urandom",
        "import threading as t",
        "import secrets",
        "import os\ngetattr(os, 'urandom')(4)",
    ],
)
def test_the_scanner_catches_each_forbidden_form(source: str) -> None:
    assert violations(source)


def test_the_scanner_allows_what_the_codec_needs() -> None:
    assert violations("import os\nimport hmac, zlib, struct\nfrom os import environ") == []
