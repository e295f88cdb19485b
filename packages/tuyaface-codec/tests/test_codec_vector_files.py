"""The vector files live in the repository, and a missing or empty one fails, never skips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import vectors

REPO_ROOT = Path(__file__).resolve().parents[3]
FOLDER = Path(__file__).resolve().parent / "data" / "vectors"
EXPECTED = ("v31", "v33", "v34", "v35", "udp", "real_captures_public")


def test_the_loader_reads_the_folder_inside_the_repository() -> None:
    assert vectors.vectors_dir() == FOLDER
    assert FOLDER.is_relative_to(REPO_ROOT)


@pytest.mark.parametrize("name", EXPECTED)
def test_each_expected_vector_file_is_present_and_not_empty(name: str) -> None:
    path = FOLDER / f"{name}.json"
    assert path.is_file(), path
    document = json.loads(path.read_text())
    entries = document.get("vectors") or document.get("captures")
    assert isinstance(entries, list) and entries, f"{path.name} holds no entries"
    wire = ("frame_hex", "frames", "payload_ascii")  # a frame, a transcript, a bare payload
    assert all(any(entry.get(field) for field in wire) for entry in entries), path.name


def test_a_folder_without_vector_files_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no vector files"):
        vectors.vector_files(tmp_path)


def test_an_empty_vector_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "v99.json").write_text("{}")
    with pytest.raises(ValueError, match=r"v99\.json holds no vectors"):
        vectors.vector_files(tmp_path)
