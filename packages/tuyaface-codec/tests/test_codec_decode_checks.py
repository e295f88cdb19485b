"""`decode_frame` on 55AA frames: each defect gets its own error, in both directions, whatever
bytes-like object carries the frame (guards the decode path's speed-ups: issue 12)."""

from __future__ import annotations

import pytest
from codec_support import damaged_frames, protocol
from hypothesis import given
from hypothesis import strategies as st

import tuyaface_codec
from tuyaface_codec import CryptoBackend, Frame

KEY = b"0123456789abcdef"
BODY = b'{"devId":"bf0123456789abcdefgh","dps":{"1":true,"2":50}}'
VERSIONS = ("3.1", "3.2", "3.3", "3.4")


def wire(tag: str, crypto: CryptoBackend, device: bool) -> bytes:
    frame = Frame(seqno=7, cmd=10, payload=BODY, retcode=0 if device else None)
    return protocol(tag, crypto).encode_frame(frame, key=KEY)


@pytest.mark.parametrize("device", [True, False], ids=["device", "client"])
@pytest.mark.parametrize("tag", VERSIONS)
def test_each_defect_has_its_error(tag: str, device: bool, crypto: CryptoBackend) -> None:
    data = wire(tag, crypto, device)
    version = protocol(tag, crypto)
    for bad, error, message in damaged_frames(data, device=device, body_size=len(BODY)):
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
