"""The repository stands alone: nothing reads the shared folder beside it, and every
citation of a document points at a file and section that exist in docs/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SOURCE_SUFFIXES = {".py", ".ini", ".toml", ".cfg", ".sh", ".md"}

# A path into the upstream folder beside the repository, or the old environment variable
# that pointed the tests elsewhere.
OUTSIDE = re.compile(r"\.\./shared|\"shared\"\s*/|/\s*\"shared\"|TUYAFACE_VECTORS")
OLD_CITATION = re.compile(r"\b(PROTOCOL|RELIABILITY|DESIGN|DEVICES)\.md")
CITATION = re.compile(r"docs/(protocol|design|devices)\.md §(\d+[a-z]?(?:\.\d+)?)")
RELIABILITY_ID = re.compile(r"docs/reliability\.md (R\d+)")


def _files() -> list[Path]:
    roots = [ROOT / "packages", ROOT / "tests", ROOT / "bench", ROOT / ".ci"]
    found = [ROOT / "tox.ini", ROOT / "pyproject.toml", ROOT / "README.md"]
    for root in roots:
        found.extend(
            path
            for path in root.rglob("*")
            if path.is_file()
            and (path.suffix in SOURCE_SUFFIXES or path.parent.name == ".ci")
            and "/data/vectors/" not in path.as_posix()  # upstream data, kept byte-identical
            and path.resolve() != Path(__file__).resolve()
        )
    return found


def _hits(pattern: re.Pattern[str]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]


def _sections(name: str) -> set[str]:
    """Section numbers of `docs/<name>.md`, from its `##` / `###` headings ("5", "5.1", "10a")."""
    text = (DOCS / f"{name}.md").read_text(encoding="utf-8")
    return set(re.findall(r"^#{2,3} (\d+[a-z]?(?:\.\d+)?)\.? ", text, flags=re.MULTILINE))


def test_nothing_reads_the_shared_folder() -> None:
    assert _hits(OUTSIDE) == []


def test_no_citation_of_documents_outside_the_repository() -> None:
    assert _hits(OLD_CITATION) == []


@pytest.mark.parametrize("name", ["protocol", "reliability", "design", "devices"])
def test_each_document_is_in_the_repository(name: str) -> None:
    assert (DOCS / f"{name}.md").stat().st_size > 1000


def test_every_cited_section_exists() -> None:
    cited = [
        (path, match[1], match[2])
        for path in _files()
        for match in CITATION.finditer(path.read_text(encoding="utf-8"))
    ]
    assert len(cited) >= 15
    missing = [f"{p.relative_to(ROOT)}: {d}.md §{s}" for p, d, s in cited if s not in _sections(d)]
    assert missing == []


def test_every_cited_reliability_id_exists() -> None:
    text = (DOCS / "reliability.md").read_text(encoding="utf-8")
    cited = {
        match[1]
        for path in _files()
        for match in RELIABILITY_ID.finditer(path.read_text(encoding="utf-8"))
    }
    assert cited
    assert {rid for rid in cited if f"| {rid} |" not in text and f"**{rid} " not in text} == set()
