"""The README's Python examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tuyaface_codec.plugins import use_plugin_manager

README = Path(__file__).resolve().parents[1] / "README.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_the_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("source", EXAMPLES, ids=[f"example{n}" for n in range(len(EXAMPLES))])
def test_readme_example_runs(source: str, capsys: pytest.CaptureFixture[str]) -> None:
    use_plugin_manager(None)
    try:
        exec(compile(source, str(README), "exec"), {"__name__": "readme_example"})
    finally:
        use_plugin_manager(None)
