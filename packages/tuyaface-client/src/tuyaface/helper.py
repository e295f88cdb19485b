"""tuyaface 1.x hex helpers (for logging frames)."""

from __future__ import annotations

__all__ = ["bytes2hex", "hex2bytes"]


def bytes2hex(data: bytes, pretty: bool = False) -> str:
    """Upper-case hex; with `pretty`, a space after every byte (as 1.x wrote it)."""
    if not pretty:
        return data.hex().upper()
    return "".join(f"{byte:02X} " for byte in data)


def hex2bytes(data: str) -> bytes:
    """Bytes from hex text (spaces between bytes are allowed)."""
    return bytes.fromhex(data)
