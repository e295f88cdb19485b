"""Each package's README (its page on the package index) opens with its `pip install` line
and a short example that runs and prints what its comments say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGES = Path(__file__).resolve().parents[1] / "packages"
FOLDERS = ["tuyaface-codec", "tuyaface-transport", "tuyaface-client"]
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)
PRINTED = re.compile(r"print\(.*#\s*(.+?)\s*$")


def _fences(folder: str) -> list[tuple[str, str]]:
    text = (PACKAGES / folder / "README.md").read_text(encoding="utf-8")
    return FENCE.findall(text)


@pytest.mark.parametrize("folder", FOLDERS)
def test_readme_opens_with_its_install_line_then_an_example(folder: str) -> None:
    (first_kind, first), (second_kind, _) = _fences(folder)[:2]
    assert first_kind == "sh"
    assert re.fullmatch(rf'pip install "?{folder}(\[fast\])?"?\n', first), first
    assert second_kind == "python"


@pytest.mark.parametrize("folder", FOLDERS)
def test_readme_example_prints_what_its_comments_say(
    folder: str, capsys: pytest.CaptureFixture[str]
) -> None:
    example = _fences(folder)[1][1]
    expected = [m.group(1) for line in example.splitlines() if (m := PRINTED.search(line))]
    assert expected, "the example shows its output in comments"
    exec(compile(example, f"{folder}/README.md", "exec"), {"__name__": "readme_example"})
    assert capsys.readouterr().out.splitlines() == expected
