"""The codec's values are plain slotted classes: immutable, compared by value, attrs-free."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys

import pytest
from codec_support import BUILTIN_VERSIONS

from tuyaface_codec import (
    Frame,
    FrameDecoder,
    FrameError,
    RequestKind,
    get_backend,
    get_protocol,
    parts,
)

KEY = b"0123456789abcdef"

# Every built-in version, both backends: build, encode, decode, stream, session key.
_ATTRS_FREE = """
import os, sys
import tuyaface_codec as tc
key = b"0123456789abcdef"
for name in ("cryptography", "pycryptodome"):
    for tag in tc.protocols():
        version = tc.get_protocol(tag, crypto=tc.get_backend(name))
        frame = version.build_request(tc.RequestKind.SET, seqno=1, dev_id="x", t=1, dps={1: 1})
        wire = version.encode_frame(frame, key=key, iv=bytes(12))
        assert version.decode_frame(wire, key=key, from_device=False) == frame
        decoder = tc.FrameDecoder(version, key=key, from_device=False)
        assert decoder.feed(wire) == [frame]
        if version.needs_handshake:
            version.session_key(key, bytes(16), bytes(range(16)))
found = sorted(m for m in sys.modules if m.split(".")[0] in ("attr", "attrs"))
assert not found, found
"""


def test_the_codec_never_imports_attrs() -> None:
    """issue 11: attrs' import and class creation were a fifth of `import tuyaface`."""
    subprocess.run([sys.executable, "-c", _ATTRS_FREE], check=True, timeout=60)


def test_a_frame_is_immutable() -> None:
    frame = Frame(1, 7, b"{}")
    with pytest.raises(AttributeError):
        frame.seqno = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del frame.payload
    with pytest.raises(AttributeError):
        frame.extra = 1  # type: ignore[attr-defined]
    assert frame.seqno == 2 - 1


@pytest.mark.parametrize("tag", BUILTIN_VERSIONS)
def test_frames_the_codec_builds_are_frames_like_any_other(tag: str) -> None:
    version = get_protocol(tag)
    built = version.build_request(RequestKind.STATUS, seqno=3, dev_id="x", t=1)
    wire = version.encode_frame(built, key=KEY, iv=bytes(12))
    decoded = version.decode_frame(wire, key=KEY, from_device=False)
    for frame in (built, decoded):
        assert type(frame) is Frame and frame == Frame(3, built.cmd, built.payload)
        with pytest.raises(AttributeError):
            frame.seqno = 4  # type: ignore[misc]
        with pytest.raises(AttributeError):
            frame.anything = 4  # type: ignore[attr-defined]
    with pytest.raises(FrameError):
        version.build_request(RequestKind.STATUS, seqno=2**32, dev_id="x", t=1)


def test_frames_compare_and_hash_by_value() -> None:
    a = Frame(1, 7, b"{}", 0, bytes(range(12)))
    b = Frame(seqno=1, cmd=7, payload=b"{}", retcode=0, header_extra=bytes(range(12)))
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != Frame(1, 7, b"{}", 0) and a != Frame(1, 7, b"{ }", 0, bytes(range(12)))
    assert a != (1, 7, b"{}", 0, bytes(range(12)))
    assert pickle.loads(pickle.dumps(a)) == a and copy.copy(a) == a


def test_frame_repr_never_shows_the_payload() -> None:
    frame = Frame(5, 8, b'{"secret":1}', 0, b"\x01" * 12)
    assert repr(frame) == "Frame(seqno=5, cmd=8, retcode=0)"


def test_replace_is_a_checked_copy() -> None:
    frame = Frame(1, 7, b"{}")
    assert frame.replace(seqno=2) == Frame(2, 7, b"{}") and frame.seqno == 1
    with pytest.raises(FrameError):
        frame.replace(retcode=-1)
    with pytest.raises(TypeError, match="nope"):
        frame.replace(nope=1)


def test_a_protocol_replaced_with_parts_is_a_new_version() -> None:
    v33 = get_protocol("3.3", crypto=get_backend("pycryptodome"))
    nine = v33.replace(version="9.7", cipher=parts.ClearHeaderEcbCipher(b"9.7"))
    wire = nine.encode_frame(Frame(1, 7, b'{"dps":{"1":true}}'), key=KEY)
    assert wire[16:19] == b"9.7" and v33.version == "3.3"
    assert v33 == v33.with_crypto(get_backend("cryptography"))  # the backend is not compared
    assert nine != v33
    with pytest.raises(AttributeError):
        v33.version = "3.4"  # type: ignore[misc]


@pytest.mark.parametrize("tag", BUILTIN_VERSIONS)
def test_every_part_is_an_immutable_value(tag: str) -> None:
    version = get_protocol(tag)
    for part in (version.layout, version.cipher, version.header_rule, version.requests,
                 version.broadcast, version.session_key_rule):
        if part is None:
            continue
        assert isinstance(part, parts.Value)
        assert part.replace() == part
        with pytest.raises(AttributeError):
            part.anything = 1


def test_decoder_repr_never_shows_the_key() -> None:
    decoder = FrameDecoder(get_protocol("3.3"), key="0123456789abcdef", from_device=True)
    assert "0123" not in repr(decoder) and "<Protocol 3.3>" in repr(decoder)
