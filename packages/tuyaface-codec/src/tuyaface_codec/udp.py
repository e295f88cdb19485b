"""Discovery datagrams on UDP 6666 / 6667 / 7000 (docs/protocol.md §10)."""

from __future__ import annotations

import hashlib
import ipaddress
import json
from typing import Any

from ._ciphers import ecb_decrypt_unpad
from ._layout import LAYOUT_55AA_CRC, LAYOUT_6699
from ._padding import BLOCK
from .commands import Command
from .crypto.backend import CryptoBackend
from .crypto.select import default_backend
from .errors import FrameError, PayloadError
from .payload import parse_json_object

__all__ = ["DISCOVERY_PORT", "UDP_KEY", "decode_broadcast", "encode_discovery_request"]

UDP_KEY = hashlib.md5(b"yGAdlopoPVldABfn").digest()
DISCOVERY_PORT = 7000


def _strip_retcode(plaintext: bytes) -> bytes:
    # 6699 device datagrams carry a 4-byte retcode before the JSON; app requests do not.
    if not plaintext.startswith(b"{") and plaintext[4:5] == b"{":
        return plaintext[4:]
    return plaintext


def decode_broadcast(datagram: bytes, *, crypto: CryptoBackend | None = None) -> dict[str, Any]:
    """The JSON object of a discovery datagram (device broadcast, 3.5 reply or app request).

    Raises a CodecError subclass for anything that is not one.
    """
    backend = crypto or default_backend()
    data = bytes(datagram)
    if data.startswith(LAYOUT_6699.prefix):
        raw = LAYOUT_6699.decode(data, key=UDP_KEY, from_device=False, crypto=backend)
        return parse_json_object(_strip_retcode(raw.payload).rstrip(b"\0"))
    if data.startswith(LAYOUT_55AA_CRC.prefix):
        raw = LAYOUT_55AA_CRC.decode(data, key=None, from_device=True, crypto=backend)
        return _plain_or_ecb(raw.payload, backend)
    raise FrameError("datagram is not a Tuya discovery frame")


def _plain_or_ecb(body: bytes, crypto: CryptoBackend) -> dict[str, Any]:
    # 6666 broadcasts are plaintext JSON, 6667 ones AES-ECB. A leading "{" alone cannot tell
    # them apart: one ciphertext in 256 starts with that byte too.
    if body.startswith(b"{"):
        try:
            return parse_json_object(body)
        except PayloadError:
            if len(body) % BLOCK:
                raise
    return parse_json_object(ecb_decrypt_unpad(body, UDP_KEY, crypto))


def encode_discovery_request(
    *, ip: str, iv: bytes, seqno: int = 0, crypto: CryptoBackend | None = None
) -> bytes:
    """The 3.5 request (cmd 0x25) asking devices to answer to `ip` on UDP 7000.

    The JSON keeps `json.dumps`' default spacing: the reference vector has it.
    """
    try:
        address = str(ipaddress.IPv4Address(ip))
    except ValueError:
        raise PayloadError(
            f"the reply address must be this machine's IPv4 address, not {ip!r}"
        ) from None
    body = json.dumps({"from": "app", "ip": address}).encode("ascii")
    return LAYOUT_6699.encode(
        seqno,
        Command.REQ_DEVINFO,
        None,
        body,
        key=UDP_KEY,
        iv=iv,
        crypto=crypto or default_backend(),
    )
