"""Hypothesis round trips for every version and direction, and R7 (nonces come from callers)."""

from __future__ import annotations

import hmac
import json
from typing import Any

import pytest
from codec_support import BUILTIN_VERSIONS, protocol
from hypothesis import given
from hypothesis import strategies as st

import tuyaface_codec
from tuyaface_codec import (
    Command,
    CryptoBackend,
    Frame,
    LocalProtocolError,
    RequestKind,
    get_protocol,
)
from tuyaface_codec._layout import HMAC_SHA256

u32 = st.integers(0, 2**32 - 1)
keys = st.one_of(
    st.binary(min_size=16, max_size=16),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=16, max_size=16),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
json_payloads = st.dictionaries(st.text(max_size=8), json_values, max_size=6).map(
    lambda d: json.dumps(d, separators=(",", ":")).encode()
)
# Anything but a leading version string: a payload that starts with "3.x" is read as carrying
# the version header (docs/protocol.md §5.2): the protocol's own ambiguity, not the codec's.
binary_payloads = st.binary(max_size=300).filter(lambda b: not b.startswith(b"3."))
commands = st.one_of(st.sampled_from(list(Command)), u32)


def expected_extra(version: tuyaface_codec.Protocol, frame: Frame) -> bytes:
    """The 12 header bytes survive exactly when the frame carries a version header."""
    if frame.payload and version.header_rule.carries(frame.cmd):
        return frame.header_extra
    return bytes(12)


@pytest.mark.parametrize("device", [False, True], ids=["client", "device"])
@pytest.mark.parametrize("tag", BUILTIN_VERSIONS)
@given(
    seqno=u32,
    cmd=commands,
    payload=st.one_of(json_payloads, binary_payloads),
    retcode=u32,
    extra=st.binary(min_size=12, max_size=12),
    key=keys,
    iv=st.binary(min_size=12, max_size=12),
)
def test_round_trip(
    tag: str,
    device: bool,
    crypto: CryptoBackend,
    seqno: int,
    cmd: int,
    payload: bytes,
    retcode: int,
    extra: bytes,
    key: bytes | str,
    iv: bytes,
) -> None:
    version = protocol(tag, crypto)
    frame = Frame(seqno, cmd, payload, retcode if device else None, extra)
    wire = version.encode_frame(frame, key=key, iv=iv)
    decoded = version.decode_frame(wire, key=key, from_device=device)
    assert (decoded.seqno, decoded.cmd, decoded.payload, decoded.retcode) == (
        seqno,
        cmd,
        payload,
        frame.retcode,
    )
    assert decoded.header_extra == expected_extra(version, frame)
    assert tuyaface_codec.FrameDecoder(version, key=key, from_device=device).feed(wire) == [
        decoded
    ]


@pytest.mark.parametrize("tag", BUILTIN_VERSIONS)
@given(info=st.dictionaries(st.text(max_size=8), json_values, max_size=6), iv=st.binary(
    min_size=12, max_size=12
))
def test_broadcast_round_trip(
    tag: str, crypto: CryptoBackend, info: dict[str, Any], iv: bytes
) -> None:
    wire = protocol(tag, crypto).encode_broadcast(info, iv=iv)
    assert tuyaface_codec.decode_broadcast(wire, crypto=crypto) == info


@given(ip=st.ip_addresses(v=4).map(str), iv=st.binary(min_size=12, max_size=12))
def test_discovery_request_round_trip(crypto: CryptoBackend, ip: str, iv: bytes) -> None:
    wire = tuyaface_codec.encode_discovery_request(ip=ip, iv=iv, crypto=crypto)
    assert tuyaface_codec.decode_broadcast(wire, crypto=crypto) == {"from": "app", "ip": ip}


@pytest.mark.parametrize("tag", ["3.4", "3.5"])
@given(key=keys, local=st.binary(min_size=16, max_size=16), remote=st.binary(min_size=16,
       max_size=16))
def test_session_key_is_a_function_of_its_inputs(
    tag: str, crypto: CryptoBackend, key: bytes | str, local: bytes, remote: bytes
) -> None:
    """No hidden randomness: the same inputs give the same key, on both backends."""
    first = protocol(tag, crypto).session_key(key, local, remote)
    assert len(first) == 16
    assert first == protocol(tag, crypto).session_key(key, local, remote)
    other = "pycryptodome" if crypto.name == "cryptography" else "cryptography"
    assert first == get_protocol(tag, crypto=tuyaface_codec.get_backend(other)).session_key(
        key, local, remote
    )


@given(key=st.binary(max_size=100), data=st.binary(max_size=400))
def test_hmac_trailer_is_hmac_sha256(key: bytes, data: bytes) -> None:
    assert HMAC_SHA256.compute(key, data) == hmac.digest(key, data, "sha256")


# R7 at the codec level: nonces and IVs are the caller's, and the codec never invents one.


@given(first=st.binary(min_size=12, max_size=12), second=st.binary(min_size=12, max_size=12))
def test_3_5_frames_with_different_ivs_differ(
    crypto: CryptoBackend, first: bytes, second: bytes
) -> None:
    version = protocol("3.5", crypto)
    frame = version.build_request(RequestKind.STATUS, seqno=7, dev_id="dev", t=1)
    key = b"0123456789abcdef"
    one = version.encode_frame(frame, key=key, iv=first)
    two = version.encode_frame(frame, key=key, iv=second)
    assert (one == two) == (first == second)
    assert one[18:30] == first
    assert version.encode_frame(frame, key=key, iv=first) == one  # deterministic given the IV
    assert version.decode_frame(two, key=key, from_device=False) == frame


@pytest.mark.parametrize("iv", [None, b"", bytes(11), bytes(13)])
def test_3_5_encode_without_a_proper_iv_raises(crypto: CryptoBackend, iv: bytes | None) -> None:
    version = protocol("3.5", crypto)
    with pytest.raises(LocalProtocolError, match="iv"):
        version.encode_frame(Frame(1, 9), key=b"0123456789abcdef", iv=iv)
    with pytest.raises(LocalProtocolError, match="iv"):
        version.encode_broadcast({"ip": "10.0.0.2"}, iv=iv)
    with pytest.raises(LocalProtocolError, match="iv"):
        tuyaface_codec.encode_discovery_request(ip="10.0.0.2", iv=iv or b"")


def test_iv_size_tells_callers_what_to_supply() -> None:
    assert {tag: get_protocol(tag).iv_size for tag in BUILTIN_VERSIONS} == {
        "3.1": 0,
        "3.2": 0,
        "3.3": 0,
        "3.4": 0,
        "3.5": 12,
    }


@pytest.mark.parametrize("tag", ["3.1", "3.2", "3.3", "3.4"])
def test_55aa_versions_are_deterministic(tag: str, crypto: CryptoBackend) -> None:
    version = protocol(tag, crypto)
    frame = version.build_request(RequestKind.SET, seqno=3, dev_id="dev", t=5, dps={"1": True})
    key = b"0123456789abcdef"
    assert version.encode_frame(frame, key=key) == version.encode_frame(frame, key=key, iv=None)


@pytest.mark.parametrize("bad", ["short", b"0123456789abcdef0", "0123456789abcdeé!", b""])
def test_keys_must_be_16_bytes(bad: str | bytes) -> None:
    with pytest.raises(LocalProtocolError, match="16"):
        get_protocol("3.3").encode_frame(Frame(1, 7, b"{}"), key=bad)


def test_a_string_key_is_latin_1_never_hex(crypto: CryptoBackend) -> None:
    version = protocol("3.3", crypto)
    frame = Frame(1, 7, b'{"dps":{"1":true}}')
    text = "[Ta$>bI@nP]?W-uX"
    assert version.encode_frame(frame, key=text) == version.encode_frame(
        frame, key=text.encode("latin-1")
    )


def test_encrypted_frames_need_a_key(crypto: CryptoBackend) -> None:
    for tag in ("3.3", "3.4", "3.5"):
        with pytest.raises(LocalProtocolError, match="key"):
            protocol(tag, crypto).encode_frame(Frame(1, 7, b"{}"), key=None, iv=bytes(12))
    # 3.1 status requests are plaintext and need none.
    plain = protocol("3.1", crypto).encode_frame(Frame(1, 10, b"{}"), key=None)
    assert protocol("3.1", crypto).decode_frame(plain, key=None, from_device=False).payload == b"{}"


@pytest.mark.parametrize("tag", ["3.2", "3.3", "3.4"])
def test_an_encrypted_broadcast_whose_ciphertext_starts_with_a_brace(
    tag: str, crypto: CryptoBackend
) -> None:
    """Regression: ECB("{}") under the UDP key starts with "{", which the old first-byte test
    took for a plaintext (6666) broadcast and then failed to parse."""
    wire = protocol(tag, crypto).encode_broadcast({})
    assert wire[20:21] == b"{"
    assert tuyaface_codec.decode_broadcast(wire, crypto=crypto) == {}


@pytest.mark.parametrize(
    "fields",
    [
        {"seqno": -1, "cmd": 7},
        {"seqno": 2**32, "cmd": 7},
        {"seqno": 1, "cmd": 2**32},
        {"seqno": 1, "cmd": 7, "retcode": 2**32},
        {"seqno": 1, "cmd": 7, "retcode": -1},
        {"seqno": 1, "cmd": 7, "header_extra": bytes(11)},
    ],
)
def test_frame_fields_are_checked_when_built(fields: dict[str, Any]) -> None:
    """Out-of-range values fail at construction, not later inside struct.pack."""
    with pytest.raises(ValueError):
        Frame(**fields)


@pytest.mark.parametrize("ip", ["not an ip", "é", "::1", "192.168.1.300", ""])
def test_discovery_request_needs_an_ipv4_address(ip: str) -> None:
    with pytest.raises(tuyaface_codec.PayloadError, match="IPv4"):
        tuyaface_codec.encode_discovery_request(ip=ip, iv=bytes(12))


@pytest.mark.parametrize("tag", BUILTIN_VERSIONS)
def test_request_arguments_are_checked(tag: str) -> None:
    version = get_protocol(tag)
    with pytest.raises(LocalProtocolError, match="numbers"):
        version.build_payload(RequestKind.REFRESH, dev_id="x", t=1, dp_ids=["abc"])
    with pytest.raises(LocalProtocolError, match="DP"):
        version.build_payload(RequestKind.SET, dev_id="x", t=1, dps={})
    with pytest.raises(tuyaface_codec.PayloadError):
        version.build_payload(RequestKind.SET, dev_id="x", t=1, dps={"1": float("nan")})
    with pytest.raises(tuyaface_codec.PayloadError):
        version.build_payload(RequestKind.SET, dev_id="x", t=1, dps={"1": object()})
    circular: list[Any] = []
    circular.append(circular)
    with pytest.raises(tuyaface_codec.PayloadError):
        version.build_payload(RequestKind.SET, dev_id="x", t=1, dps={"1": circular})
    assert version.build_payload(RequestKind.REFRESH, dev_id="x", t=1, dp_ids=["18", 19]) == (
        b'{"dpId":[18,19]}'
    )


@pytest.mark.parametrize("tag", BUILTIN_VERSIONS)
def test_sub_device_refresh_names_the_cid_in_a_list(tag: str) -> None:
    """A gateway ignores a bare-string cid on UPDATEDPS (docs/protocol.md §10a)."""
    version = get_protocol(tag)
    body = version.build_payload(RequestKind.REFRESH, dev_id="gw", t=1, dp_ids=[18], cid="a4c1")
    assert body == b'{"dpId":[18],"cid":["a4c1"]}'


@pytest.mark.parametrize("size", [1, 5, 15, 17, 33])
def test_ecb_refuses_partial_blocks_and_stays_correct(crypto: CryptoBackend, size: int) -> None:
    """A partial block used to stay buffered in the cryptography backend's shared per-key
    context and silently shift every later frame under that key."""
    key = b"partial-block-k!"
    block = bytes(range(16))
    reference = crypto.ecb_encrypt(key, block)
    with pytest.raises(tuyaface_codec.CodecError, match="whole 16-byte blocks"):
        crypto.ecb_encrypt(key, bytes(size))
    with pytest.raises(tuyaface_codec.CodecError, match="whole 16-byte blocks"):
        crypto.ecb_decrypt(key, bytes(size))
    assert crypto.ecb_encrypt(key, block) == reference
    assert crypto.ecb_decrypt(key, reference) == block


def test_a_key_outside_latin_1_is_refused_without_quoting_it() -> None:
    key = "0123456789abcde\u20ac"
    with pytest.raises(LocalProtocolError) as caught:
        get_protocol("3.3").encode_frame(Frame(1, 7, b"{}"), key=key)
    assert "\u20ac" not in str(caught.value) and "20ac" not in str(caught.value).lower()
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    with pytest.raises(LocalProtocolError):
        tuyaface_codec.FrameDecoder(get_protocol("3.3"), key=key, from_device=True)


@given(dev_id=st.text(max_size=40), t=st.integers(min_value=0, max_value=2**40))
def test_the_status_body_is_what_json_would_write(dev_id: str, t: int) -> None:
    """3.1-3.3 status bodies are formatted directly (a speed trick): same bytes as the JSON
    encoder's, whatever the device id holds (quotes, controls, non-ASCII)."""
    body = get_protocol("3.3").build_payload(RequestKind.STATUS, dev_id=dev_id, t=t)
    expected = {"gwId": dev_id, "devId": dev_id, "uid": dev_id, "t": str(t)}
    assert body == json.dumps(expected, separators=(",", ":")).encode("ascii")
    assert json.loads(body) == expected
