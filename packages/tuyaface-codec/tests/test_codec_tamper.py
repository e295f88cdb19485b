"""R5 tamper and R6 authenticate-before-parse.

R5: flipping any single bit of any vector frame (header, IV, ciphertext, tag, HMAC, CRC,
suffix) is rejected, with a framing or integrity error, never later.
R6: a frame that fails its CRC / HMAC / GCM check is never decrypted, unpadded or parsed, and a
bad proof in handshake step 2 aborts the handshake.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from codec_support import CountingBackend, flip, protocol
from vectors import frame_bytes, frame_key, frame_vectors, from_device, transcripts, udp_vectors

import tuyaface_codec
from tuyaface_codec import (
    CryptoBackend,
    DecryptError,
    Frame,
    FrameError,
    HandshakeError,
    IntegrityError,
    handshake,
    udp,
)

FRAMES = list(frame_vectors())
UDP = udp_vectors()
BEFORE_DECRYPTION = (FrameError, IntegrityError)


@pytest.mark.parametrize("vector", FRAMES, ids=lambda v: v["name"])
def test_every_single_bit_flip_is_rejected(vector: dict[str, Any], crypto: CryptoBackend) -> None:
    version = protocol(vector["version"], crypto)
    wire, key, device = frame_bytes(vector), frame_key(vector), from_device(vector)
    for bit in range(len(wire) * 8):
        with pytest.raises(BEFORE_DECRYPTION):
            version.decode_frame(flip(wire, bit), key=key, from_device=device)


@pytest.mark.parametrize("vector", UDP, ids=lambda v: v["name"])
def test_every_single_bit_flip_of_a_datagram_is_rejected(
    vector: dict[str, Any], crypto: CryptoBackend
) -> None:
    wire = frame_bytes(vector)
    for bit in range(len(wire) * 8):
        with pytest.raises(BEFORE_DECRYPTION):
            tuyaface_codec.decode_broadcast(flip(wire, bit), crypto=crypto)


def _payload_region(vector: dict[str, Any]) -> range:
    """Bit positions of the integrity-protected body: what an attacker would change."""
    wire = frame_bytes(vector)
    start = 18 if wire.startswith(b"\x00\x00\x66\x99") else 16
    return range(start * 8, (len(wire) - 4) * 8)


class CountingCipher:
    """The version's own payload cipher, counting how often a frame reaches it."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.opened = inner, 0

    def seal(self, *args: Any, **kwargs: Any) -> bytes:
        result: bytes = self.inner.seal(*args, **kwargs)
        return result

    def open(self, *args: Any, **kwargs: Any) -> tuple[bytes | None, bytes]:
        self.opened += 1
        result: tuple[bytes | None, bytes] = self.inner.open(*args, **kwargs)
        return result


@pytest.mark.parametrize("vector", FRAMES, ids=lambda v: v["name"])
def test_a_frame_failing_its_check_is_never_decrypted(
    vector: dict[str, Any], counting: CountingBackend
) -> None:
    """R6: tampered frames never reach ECB decryption, GCM plaintext or the payload cipher
    (which does the unpadding and header split); decode_frame never parses JSON at all."""
    cipher = CountingCipher(protocol(vector["version"], counting.inner).cipher)
    version = protocol(vector["version"], counting.inner).replace(cipher=cipher)
    version = version.with_crypto(counting)
    wire, key, device = frame_bytes(vector), frame_key(vector), from_device(vector)
    region = _payload_region(vector)
    for bit in (region.start, region.start + 7, (region.start + region.stop) // 2, region.stop - 1):
        with pytest.raises(IntegrityError):
            version.decode_frame(flip(wire, bit), key=key, from_device=device)
    assert counting.calls["ecb_decrypt"] == 0
    assert counting.calls["gcm_plaintext"] == 0
    assert cipher.opened == 0
    # The same objects do decrypt the untouched frame: the counters can move.
    version.decode_frame(wire, key=key, from_device=device)
    assert cipher.opened == 1


@pytest.mark.parametrize("vector", UDP, ids=lambda v: v["name"])
def test_a_datagram_failing_its_check_is_never_decrypted_or_parsed(
    vector: dict[str, Any], counting: CountingBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[bytes] = []
    real_parse = udp.parse_json_object

    def spy(body: bytes) -> dict[str, Any]:
        parsed.append(body)
        return real_parse(body)

    monkeypatch.setattr(udp, "parse_json_object", spy)
    wire = frame_bytes(vector)
    with pytest.raises(IntegrityError):
        tuyaface_codec.decode_broadcast(flip(wire, len(wire) * 8 - 40), crypto=counting)
    assert (counting.calls["ecb_decrypt"], counting.calls["gcm_plaintext"], parsed) == (0, 0, [])
    tuyaface_codec.decode_broadcast(wire, crypto=counting)
    assert len(parsed) == 1


def test_a_bad_3_1_signature_stops_before_base64_and_aes(counting: CountingBackend) -> None:
    """3.1 CONTROL / STATUS payloads carry an MD5 signature inside a frame whose CRC is fine:
    the signature is checked before base64 decoding and AES."""
    version = protocol("3.1", counting)
    key = b"0123456789abcdef"
    wire = version.encode_frame(Frame(1, 8, b'{"dps":{"1":true}}', retcode=0), key=key)
    payload = wire[20:-8]
    assert payload.startswith(b"3.1")
    b64 = payload[19:]
    forged = payload[:19] + base64.b64encode(bytes(len(base64.b64decode(b64))))
    tampered = version.layout.encode(1, 8, 0, forged, key=key, iv=None, crypto=counting)
    counting.calls.clear()
    with pytest.raises(IntegrityError):
        version.decode_frame(tampered, key=key, from_device=True)
    assert counting.calls["ecb_decrypt"] == 0


def test_a_wrong_key_fails_the_check_not_the_padding(crypto: CryptoBackend) -> None:
    """3.4 and 3.5 frames under a wrong key fail HMAC / GCM; 3.3 has only a CRC, so a wrong
    key shows up at decryption (DecryptError), which is what docs/protocol.md §9.4 describes."""
    wrong = b"fedcba9876543210"
    for vector in FRAMES:
        if frame_key(vector) is None or vector["direction"] == "transcript":
            continue
        version = protocol(vector["version"], crypto)
        wire, device = frame_bytes(vector), from_device(vector)
        if vector["version"] in ("3.4", "3.5"):
            with pytest.raises(IntegrityError):
                version.decode_frame(wire, key=wrong, from_device=device)
        elif vector["version"] == "3.3" and len(wire) > 28 + 16:
            with pytest.raises(DecryptError):
                version.decode_frame(wire, key=wrong, from_device=device)


@pytest.mark.parametrize("transcript", transcripts(), ids=lambda v: v["name"])
def test_a_bad_proof_in_step_2_aborts_the_handshake(
    transcript: dict[str, Any], crypto: CryptoBackend
) -> None:
    local_key = bytes.fromhex(transcript["key_hex"])
    local_nonce = bytes.fromhex(transcript["local_nonce_hex"])
    remote_nonce = bytes.fromhex(transcript["remote_nonce_hex"])
    good = handshake.response_payload(local_key, local_nonce, remote_nonce)
    assert handshake.read_response(good, local_key, local_nonce) == remote_nonce
    for bit in range(16 * 8, len(good) * 8):  # every bit of the 32-byte proof
        with pytest.raises(HandshakeError):
            handshake.read_response(flip(good, bit), local_key, local_nonce)
    for bad in (good[:-1], good + b"\0", b""):
        with pytest.raises(HandshakeError):
            handshake.read_response(bad, local_key, local_nonce)
    with pytest.raises(HandshakeError):
        handshake.read_response(good, b"fedcba9876543210", local_nonce)

    # Over the wire: a device that does not know the key signs its frame correctly (the frame
    # check passes) but cannot prove the key; the client's read_response refuses it.
    version = protocol(transcript["version"], crypto)
    impostor = handshake.response_payload(b"fedcba9876543210", local_nonce, remote_nonce)
    wire = version.encode_frame(
        Frame(1, 4, impostor, retcode=0), key=local_key, iv=bytes(range(12))
    )
    frame = version.decode_frame(wire, key=local_key, from_device=True)
    with pytest.raises(HandshakeError):
        handshake.read_response(frame.payload, local_key, local_nonce)


def test_device_side_refuses_a_bad_finish(crypto: CryptoBackend) -> None:
    key, remote_nonce = b"0123456789abcdef", bytes(range(16))
    proof = handshake.finish_payload(key, remote_nonce)
    handshake.check_finish(proof, key, remote_nonce)
    with pytest.raises(HandshakeError):
        handshake.check_finish(flip(proof, 3), key, remote_nonce)
