"""`decode_frame` on 55AA frames: each defect gets its own error, in both directions, whatever
bytes-like object carries the frame (guards the decode path's speed-ups: issue 12)."""

from __future__ import annotations

import struct

import pytest
from codec_support import protocol
from hypothesis import given
from hypothesis import strategies as st

import tuyaface_codec
from tuyaface_codec import CryptoBackend, Frame, FrameError, IntegrityError

KEY = b"0123456789abcdef"
BODY = b'{"devId":"bf0123456789abcdefgh","dps":{"1":true,"2":50}}'
VERSIONS = ("3.1", "3.2", "3.3", "3.4")


def wire(tag: str, crypto: CryptoBackend, device: bool) -> bytes:
    frame = Frame(seqno=7, cmd=10, payload=BODY, retcode=0 if device else None)
    return protocol(tag, crypto).encode_frame(frame, key=KEY)


def with_length(data: bytes, length: int) -> bytes:
    return data[:12] + struct.pack(">I", length) + data[16:]


@pytest.mark.parametrize("device", [True, False], ids=["device", "client"])
@pytest.mark.parametrize("tag", VERSIONS)
def test_each_defect_has_its_error(tag: str, device: bool, crypto: CryptoBackend) -> None:
    data = wire(tag, crypto, device)
    version = protocol(tag, crypto)
    trailer = len(data) - 24 - (4 if device else 0) - len(BODY)  # what is not header nor body
    cases: list[tuple[bytes, type[Exception], str]] = [
        (data[: 16 + (4 if device else 0) + trailer - 1], FrameError, "too few"),
        (b"\x00\x00\x66\x99" + data[4:], FrameError, "does not start with 000055AA"),
        (with_length(data, len(data) - 15), FrameError, "length field says"),
        (data[:-1] + b"\x56", FrameError, "does not end with 0000AA55"),
        (data[:-5] + bytes([data[-5] ^ 1]) + data[-4:], IntegrityError, "checksum mismatch"),
    ]
    for bad, error, message in cases:
        with pytest.raises(error, match=message):
            version.decode_frame(bad, key=KEY, from_device=device)


@pytest.mark.parametrize("device", [True, False], ids=["device", "client"])
@pytest.mark.parametrize("tag", VERSIONS)
def test_any_bytes_like_input_decodes_alike(tag: str, device: bool, crypto: CryptoBackend) -> None:
    data = wire(tag, crypto, device)
    version = protocol(tag, crypto)
    frames = [
        version.decode_frame(kind(data), key=KEY, from_device=device)
        for kind in (bytes, bytearray, memoryview)
    ]
    assert frames[0] == frames[1] == frames[2]
    assert frames[0].payload == BODY
    assert frames[0].seqno == 7
    assert frames[0].retcode == (0 if device else None)


@pytest.mark.parametrize("tag", ("3.1", "3.5"))
@given(payload=st.binary(max_size=40))
def test_a_payload_outside_the_sealed_prefix_is_what_open_gives_back(
    tag: str, payload: bytes
) -> None:
    """decode_frame skips `cipher.open` for a payload that does not start with the cipher's
    `sealed_prefix`: only sound while open gives such a payload back as it is."""
    version = protocol(tag, tuyaface_codec.get_backend("cryptography"))
    prefix = version.sealed_prefix
    assert prefix == tag.encode()
    if payload.startswith(prefix):
        payload = b"x" + payload
    opened = version.cipher.open(payload, key=KEY, crypto=version.backend())
    assert opened == (None, payload)
    wire = version.encode_frame(Frame(3, 10, payload, retcode=0), key=KEY, iv=bytes(12))
    assert version.decode_frame(wire, key=KEY, from_device=True).payload == payload
