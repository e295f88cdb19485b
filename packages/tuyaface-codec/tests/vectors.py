"""Loader for the protocol vectors: every *.json file in tests/data/vectors (see its README).

Only that in-repository folder is read. New files and new entries are picked up without code
changes; a missing folder, or a file without entries, raises at collection (a failure, never a
silent skip of the vector-driven tests).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

VECTORS_DIR = Path(__file__).resolve().parent / "data" / "vectors"


def vectors_dir() -> Path:
    return VECTORS_DIR


def vector_files(folder: Path = VECTORS_DIR) -> list[Path]:
    """The *.json files in `folder`, each checked to hold at least one entry."""
    files = sorted(folder.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no vector files in {folder}")
    for path in files:
        document = json.loads(path.read_text())
        if not (document.get("vectors") or document.get("captures")):
            raise ValueError(f"{path.name} holds no vectors or captures")
    return files


def all_vectors() -> list[dict[str, Any]]:
    """Every entry of every `vectors` list, each with `_file` added, and `_t` (the file's
    fixed Unix time for the entry's set, the `t` its JSON was built with) when known."""
    found: list[dict[str, Any]] = []
    for path in vector_files():
        document = json.loads(path.read_text())
        times = document.get("fixed_unix_time") or {}
        for entry in document.get("vectors", []):
            set_name = str(entry.get("name", "")).split("/", 1)[0]
            found.append({**entry, "_file": path.name, "_t": times.get(set_name)})
    return found


def frame_vectors() -> Iterator[dict[str, Any]]:
    """TCP frames, plus the frames inside handshake transcripts (with the transcript's key)."""
    for vector in all_vectors():
        if vector.get("transport") != "tcp":
            continue
        if vector["direction"] == "transcript":
            for step in vector["frames"]:
                yield {**vector, **step, "name": f"{vector['name']}#step{step['step']}"}
        else:
            yield vector


def transcripts() -> list[dict[str, Any]]:
    return [v for v in all_vectors() if v["direction"] == "transcript"]


def udp_vectors() -> list[dict[str, Any]]:
    return [v for v in all_vectors() if v.get("transport") == "udp"]


def real_captures() -> list[dict[str, Any]]:
    """Entries of files that hold `captures` (real device frames)."""
    found: list[dict[str, Any]] = []
    for path in vector_files():
        document = json.loads(path.read_text())
        found.extend({**entry, "_file": path.name} for entry in document.get("captures", []))
    return found


def frame_key(vector: dict[str, Any]) -> bytes | None:
    """The key a frame is sealed with: the session key after the handshake, else the local key."""
    if vector["cmd"] not in (3, 4, 5) and vector.get("session_key_hex"):
        return bytes.fromhex(vector["session_key_hex"])
    if vector.get("key_hex"):
        return bytes.fromhex(vector["key_hex"])
    return None


def plaintext(vector: dict[str, Any]) -> bytes:
    """The payload as the decoder returns it: JSON, error text, handshake bytes, or empty."""
    if vector.get("payload_json") is not None:
        return str(vector["payload_json"]).encode()
    if vector.get("payload_text") is not None:
        return str(vector["payload_text"]).encode()
    if vector.get("payload_hex") is not None:
        return bytes.fromhex(vector["payload_hex"])
    return b""


def header_extra(vector: dict[str, Any]) -> bytes:
    header = vector.get("version_header_hex")
    return bytes.fromhex(header)[3:] if header else bytes(12)


def frame_bytes(vector: dict[str, Any]) -> bytes:
    return bytes.fromhex(vector["frame_hex"])


def from_device(vector: dict[str, Any]) -> bool:
    """True for frames a device sends (they carry a retcode)."""
    return str(vector["direction"]).startswith("device")


def iv(vector: dict[str, Any]) -> bytes | None:
    return bytes.fromhex(vector["iv_hex"]) if vector.get("iv_hex") else None


def vector_id(vector: dict[str, Any]) -> str:
    return str(vector["name"])


# Client request vectors are named `<set>/v<version>_client_<kind>`.
_REQUEST_KINDS = {
    "status": "STATUS",
    "set": "SET",
    "subdevice_set": "SET",
    "heartbeat": "HEARTBEAT",
    "updatedps": "REFRESH",
    "device22_status": "DEVICE22_STATUS",
}


def request_vectors() -> list[dict[str, Any]]:
    """Client JSON requests, each with `_kind` (a RequestKind member name) added."""
    found = []
    for vector in all_vectors():
        if vector.get("direction") != "client_to_device" or vector.get("payload_json") is None:
            continue
        kind = _REQUEST_KINDS.get(str(vector["name"]).partition("_client_")[2])
        if kind is not None:
            found.append({**vector, "_kind": kind})
    return found
