"""The README's "Coming from tuyaface 1.x" section: its self-contained example (a simulator
on 127.0.0.1) runs as shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[3] / "README.md"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Coming from tuyaface 1.x")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def runnable_blocks() -> list[str]:
    """The python blocks that bring their own simulator (the others need a real device)."""
    blocks = re.findall(r"```python\n(.*?)```", _section(), re.DOTALL)
    return [block for block in blocks if "SimulatedDevice" in block]


def test_docs_have_a_runnable_example() -> None:
    assert len(runnable_blocks()) == 1


@pytest.mark.parametrize("block", runnable_blocks())
def test_docs_example_runs(block: str, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(block, str(README), "exec"), {"__name__": "docs_example"})
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["{'1': False}", "connected True", "push {'1': True}", "connected False"]
