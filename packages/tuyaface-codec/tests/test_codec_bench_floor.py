"""bench/_floor.py's checked decode floors make the codec's checks: every damaged status
reply gets the error class that `decode_frame` + `parse_json_object` + `extract_dps` give it,
so bench/codec.py's "checked floor" row bounds ours fairly (issue 12)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from codec_support import damaged_frames, flip

import tuyaface_codec
from tuyaface_codec import (
    Frame,
    Protocol,
    RequestKind,
    TuyaError,
    extract_dps,
    parse_json_object,
)

KEY = b"0123456789abcdef"
BODY = b'{"devId":"bf0123456789abcdefgh","dps":{"1":true,"2":50}}'
CRYPTO = tuyaface_codec.get_backend("cryptography")  # the floors' backend
Decode = Callable[[bytes], dict[str, Any]]


def _bench_floor() -> ModuleType:
    """bench/_floor.py (bench is no package)."""
    path = Path(__file__).resolve().parents[3] / "bench" / "_floor.py"
    spec = importlib.util.spec_from_file_location("bench_floor", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FLOOR = _bench_floor()

# Payloads each JSON check rejects (docs/reliability.md R13), and an empty one.
BAD_JSON = [
    b"\xff\xfe{}",  # not UTF-8
    b'{"dps":',  # not JSON
    b'{"dps":{}} {}',  # extra data
    b"[1, 2]",  # not an object
    b'{"dps":{"1":NaN}}',
    b'{"dps":{"1":1e999}}',  # infinite
    b'{"dps":{"1":' + b"9" * 5000 + b"}}",  # over the interpreter's digit limit
    b"[" * 10_000,  # deep nesting
    b'{"dps":[1]}',  # a non-object dps
    b"",
]
# 3.3 plaintexts of whole blocks whose PKCS#7 padding is wrong (a zero, a 17, one byte of
# three wrong)
BLOCKS = BODY.ljust(64, b" ")
BAD_PADDING = [BLOCKS[:63] + b"\x00", BLOCKS[:63] + b"\x11", BLOCKS[:61] + b"\x03\x02\x03"]


def codec(tag: str) -> Protocol:
    """The codec's protocol `tag` on the floors' backend."""
    return tuyaface_codec.get_protocol(tag, crypto=CRYPTO)


def reply(tag: str, body: bytes) -> bytes:
    """A device's status reply carrying `body`, sealed as `tag` seals it."""
    protocol = codec(tag)
    frame = Frame(7, protocol.command_for(RequestKind.STATUS), body, retcode=0)
    return bytes(protocol.encode_frame(frame, key=KEY))


def raw_reply(payload: bytes) -> bytes:
    """A status reply with `payload` on the wire as it is: 3.1 sends a status reply in
    plaintext and frames it in 3.3's 55AA CRC32 layout."""
    return reply("3.1", payload)


def cipher_defects() -> list[bytes]:
    """3.3 status replies with bad padding, and one with a payload of no whole blocks."""
    frames = [raw_reply(CRYPTO.ecb_encrypt(KEY, plain)) for plain in BAD_PADDING]
    return [*frames, raw_reply(bytes(range(17)))]


def ours(tag: str) -> Decode:
    """What bench/codec.py times for us."""
    protocol = codec(tag)

    def decode(frame: bytes) -> dict[str, Any]:
        payload = protocol.decode_frame(frame, key=KEY, from_device=True).payload
        return extract_dps(parse_json_object(payload))

    return decode


def outcome(decode: Decode, frame: bytes) -> object:
    """The DPs, or the class of the TuyaError (anything else escapes: R1)."""
    try:
        return decode(frame)
    except TuyaError as exc:
        return type(exc)


def damaged(tag: str) -> list[bytes]:
    """The damaged status replies of `tag`: test_codec_decode_checks.py's framing defects,
    each JSON defect, and on 3.3 each cipher defect."""
    frames = [bad for bad, _, _ in damaged_frames(reply(tag, BODY), device=True,
                                                    body_size=len(BODY))]
    frames += [reply(tag, body) for body in BAD_JSON]
    if tag == "3.3":
        frames += cipher_defects()
    return frames


@pytest.mark.parametrize("tag", ["3.1", "3.3"])
def test_the_checked_floor_rejects_what_ours_rejects_with_the_same_error(tag: str) -> None:
    checked, mine = FLOOR.CHECKED_DECODE_FLOORS[tag](KEY), ours(tag)
    assert checked(reply(tag, BODY)) == mine(reply(tag, BODY)) == {"1": True, "2": 50}
    for frame in damaged(tag):
        expected = outcome(mine, frame)
        assert isinstance(expected, type), frame  # each one is damaged for ours
        assert outcome(checked, frame) is expected, frame


@pytest.mark.parametrize("tag", ["3.1", "3.3"])
def test_every_bit_flip_gets_the_same_error_from_both(tag: str) -> None:
    """docs/reliability.md R5: any single flipped bit is rejected, by each alike."""
    checked, mine, good = FLOOR.CHECKED_DECODE_FLOORS[tag](KEY), ours(tag), reply(tag, BODY)
    for bit in range(len(good) * 8):
        expected = outcome(mine, flip(good, bit))
        assert isinstance(expected, type), bit
        assert outcome(checked, flip(good, bit)) is expected, bit


def test_the_cipher_defects_reach_the_padding_check() -> None:
    """The bad-padding frames are not read as plaintext JSON by ours (a payload that
    starts with "{" would be): each is a DecryptError for both. The checked floor's reused
    AES context keeps nothing of them: the next good reply decodes."""
    checked, mine = FLOOR.CHECKED_DECODE_FLOORS["3.3"](KEY), ours("3.3")
    for frame in cipher_defects():
        assert outcome(mine, frame) is outcome(checked, frame) is tuyaface_codec.DecryptError
        assert checked(reply("3.3", BODY)) == {"1": True, "2": 50}


@pytest.mark.parametrize("tag", ["3.1", "3.3"])
def test_the_unchecked_floor_skips_the_suffix(tag: str) -> None:
    """Why the checked floor exists: the floor reads a frame with a wrong suffix."""
    bad_suffix = reply(tag, BODY)[:-1] + b"\x56"
    assert FLOOR.DECODE_FLOORS[tag](KEY)(bad_suffix) == {"1": True, "2": 50}
    assert outcome(FLOOR.CHECKED_DECODE_FLOORS[tag](KEY), bad_suffix) is tuyaface_codec.FrameError
