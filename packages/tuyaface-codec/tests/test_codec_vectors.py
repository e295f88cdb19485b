"""R5, known answers: every vector in tests/data/vectors, both directions, both backends.

The loader reads every *.json file there, so a new vector file is tested without new code.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from codec_support import protocol
from vectors import (
    all_vectors,
    frame_bytes,
    frame_key,
    frame_vectors,
    from_device,
    header_extra,
    iv,
    plaintext,
    real_captures,
    request_vectors,
    transcripts,
    udp_vectors,
    vector_id,
)

import tuyaface_codec
from tuyaface_codec import CryptoBackend, Frame, RequestKind, handshake
from tuyaface_codec.udp import UDP_KEY

FRAMES = list(frame_vectors())
TRANSCRIPTS = transcripts()
UDP = udp_vectors()
REQUESTS = request_vectors()
CAPTURES = real_captures()


def expected_frame(vector: dict[str, Any]) -> Frame:
    return Frame(
        seqno=vector["seqno"],
        cmd=vector["cmd"],
        payload=plaintext(vector),
        retcode=vector["retcode"],
        header_extra=header_extra(vector),
    )


def test_the_vector_folder_is_found_and_fully_covered() -> None:
    vectors = all_vectors()
    assert len(FRAMES) >= 100 and len(TRANSCRIPTS) >= 4 and len(UDP) >= 12 and CAPTURES
    files = {vector["_file"] for vector in vectors}
    assert {"v31.json", "v33.json", "v34.json", "v35.json", "udp.json"} <= files
    # Every entry is exercised by one of the groups below, whatever files appear later.
    for vector in vectors:
        assert vector.get("transport") in {"tcp", "udp"}, vector_id(vector)
    assert {v["version"] for v in FRAMES} >= {"3.1", "3.3", "3.4", "3.5"}
    assert {v["port"] for v in UDP} == {6666, 6667, 7000}


@pytest.mark.parametrize("vector", FRAMES, ids=vector_id)
def test_encode_is_byte_exact(vector: dict[str, Any], crypto: CryptoBackend) -> None:
    wire = protocol(vector["version"], crypto).encode_frame(
        expected_frame(vector), key=frame_key(vector), iv=iv(vector)
    )
    assert wire.hex() == vector["frame_hex"]


@pytest.mark.parametrize("vector", FRAMES, ids=vector_id)
def test_decode_gives_the_vector_values(vector: dict[str, Any], crypto: CryptoBackend) -> None:
    frame = protocol(vector["version"], crypto).decode_frame(
        frame_bytes(vector), key=frame_key(vector), from_device=from_device(vector)
    )
    assert frame == expected_frame(vector)
    assert (frame.seqno, frame.cmd, frame.retcode) == (
        vector["seqno"],
        vector["cmd"],
        vector["retcode"],
    )
    assert frame.payload == plaintext(vector)
    assert frame.header_extra == header_extra(vector)


@pytest.mark.parametrize("vector", FRAMES, ids=vector_id)
def test_frame_decoder_reads_the_vector_frame(
    vector: dict[str, Any], crypto: CryptoBackend
) -> None:
    decoder = tuyaface_codec.FrameDecoder(
        protocol(vector["version"], crypto),
        key=frame_key(vector),
        from_device=from_device(vector),
    )
    assert decoder.feed(frame_bytes(vector)) == [expected_frame(vector)]
    assert decoder.buffered == 0


NEGOTIATIONS = [v for v in all_vectors() if v.get("local_nonce_hex")]


@pytest.mark.parametrize("vector", NEGOTIATIONS, ids=vector_id)
def test_session_key(vector: dict[str, Any], crypto: CryptoBackend) -> None:
    """Transcripts give `session_key_hex`; the single handshake-step vectors repeat it as
    `resulting_session_key_hex`."""
    session_key = protocol(vector["version"], crypto).session_key(
        vector["key"],
        bytes.fromhex(vector["local_nonce_hex"]),
        bytes.fromhex(vector["remote_nonce_hex"]),
    )
    expected = vector.get("session_key_hex") or vector["resulting_session_key_hex"]
    assert session_key.hex() == expected


def test_wire_payloads_given_in_ascii_are_in_the_frame() -> None:
    found = [v for v in FRAMES if v.get("wire_payload_ascii")]
    assert found
    for vector in found:
        assert vector["wire_payload_ascii"].encode("ascii") in frame_bytes(vector)


@pytest.mark.parametrize("transcript", TRANSCRIPTS, ids=vector_id)
def test_transcript_handshake_both_roles(
    transcript: dict[str, Any], crypto: CryptoBackend
) -> None:
    """Replay the three steps as client and as device, with the codec's handshake maths."""
    version = protocol(transcript["version"], crypto)
    local_key = bytes.fromhex(transcript["key_hex"])
    local_nonce = bytes.fromhex(transcript["local_nonce_hex"])
    remote_nonce = bytes.fromhex(transcript["remote_nonce_hex"])
    steps = {step["step"]: step for step in transcript["frames"]}

    def read(step: dict[str, Any]) -> Frame:
        return version.decode_frame(
            bytes.fromhex(step["frame_hex"]), key=local_key, from_device=from_device(step)
        )

    # Device: step 1 carries the client's nonce; it answers with its nonce and a proof.
    assert read(steps[1]).payload == local_nonce
    step2 = read(steps[2])
    assert step2.payload == handshake.response_payload(local_key, local_nonce, remote_nonce)
    # Client: checks the proof, learns the device nonce, proves its own key.
    assert handshake.read_response(step2.payload, local_key, local_nonce) == remote_nonce
    step3 = read(steps[3])
    assert step3.payload == handshake.finish_payload(local_key, remote_nonce)
    handshake.check_finish(step3.payload, local_key, remote_nonce)
    assert [steps[n]["cmd"] for n in (1, 2, 3)] == [3, 4, 5]


@pytest.mark.parametrize("vector", UDP, ids=vector_id)
def test_udp_datagram_decodes(vector: dict[str, Any], crypto: CryptoBackend) -> None:
    decoded = tuyaface_codec.decode_broadcast(frame_bytes(vector), crypto=crypto)
    assert decoded == json.loads(vector["payload_json"])


@pytest.mark.parametrize("vector", UDP, ids=vector_id)
def test_udp_datagram_encodes_byte_exact(vector: dict[str, Any], crypto: CryptoBackend) -> None:
    if vector.get("key_hex"):
        assert bytes.fromhex(vector["key_hex"]) == UDP_KEY
    if vector["direction"] == "client_broadcast":
        request = json.loads(vector["payload_json"])
        wire = tuyaface_codec.encode_discovery_request(
            ip=request["ip"], iv=iv(vector) or b"", seqno=vector["seqno"], crypto=crypto
        )
    else:
        wire = protocol(vector["version"], crypto).encode_broadcast(
            vector["payload_json"].encode(), iv=iv(vector), seqno=vector["seqno"]
        )
    assert wire.hex() == vector["frame_hex"]


@pytest.mark.parametrize("capture", CAPTURES, ids=vector_id)
def test_real_capture_decodes(capture: dict[str, Any], crypto: CryptoBackend) -> None:
    version = protocol(capture["version"], crypto)
    key = bytes.fromhex(capture["key_hex"]) if capture.get("key_hex") else None
    if str(capture.get("kind", "")).startswith("payload_only"):
        # A bare payload: the version's payload cipher alone (3.1: signed base64 AES-ECB).
        _extra, body = version.cipher.open(
            capture["payload_ascii"].encode("ascii"), key=key, crypto=crypto
        )
    else:
        frame = version.decode_frame(
            frame_bytes(capture), key=key, from_device=from_device(capture)
        )
        assert (frame.seqno, frame.cmd, frame.retcode) == (
            capture["seqno"],
            capture["cmd"],
            capture["retcode"],
        )
        body = frame.payload
    assert body == capture["decoded"].encode()
    if body:
        assert tuyaface_codec.parse_json_object(body)


def _dps(message: dict[str, Any]) -> dict[str, Any]:
    return tuyaface_codec.extract_dps(message)


def request_arguments(vector: dict[str, Any]) -> dict[str, Any]:
    """The Python values a caller passes for the request in `vector`."""
    body = json.loads(vector["payload_json"])
    kind = RequestKind[vector["_kind"]]
    arguments: dict[str, Any] = {"dev_id": vector["dev_id"], "t": vector["_t"]}
    if vector.get("cid"):
        arguments["cid"] = vector["cid"]
    if kind is RequestKind.SET:
        arguments["dps"] = _dps(body)
    elif kind is RequestKind.DEVICE22_STATUS:
        arguments["dp_ids"] = [int(dp) for dp in _dps(body)]
    elif kind is RequestKind.REFRESH:
        arguments["dp_ids"] = body["dpId"]
    return arguments


def test_every_request_kind_has_vectors() -> None:
    kinds = {(vector["version"], vector["_kind"]) for vector in REQUESTS}
    for version in ("3.1", "3.3", "3.4", "3.5"):
        assert {(version, "STATUS"), (version, "SET"), (version, "HEARTBEAT")} <= kinds
    for version in ("3.3", "3.4", "3.5"):
        assert (version, "REFRESH") in kinds
    assert ("3.3", "DEVICE22_STATUS") in kinds
    assert sum(1 for vector in REQUESTS if vector.get("cid")) >= 6


@pytest.mark.parametrize("vector", REQUESTS, ids=vector_id)
def test_build_payload_matches_the_vector_json(vector: dict[str, Any]) -> None:
    version = tuyaface_codec.get_protocol(vector["version"])
    kind = RequestKind[vector["_kind"]]
    assert version.command_for(kind) == vector["cmd"]
    body = version.build_payload(kind, **request_arguments(vector))
    assert body == vector["payload_json"].encode()


@pytest.mark.parametrize("vector", REQUESTS, ids=vector_id)
def test_build_request_to_wire_bytes(vector: dict[str, Any], crypto: CryptoBackend) -> None:
    """Python values to the vector's exact frame: build_request + encode_frame."""
    version = protocol(vector["version"], crypto)
    frame = version.build_request(
        RequestKind[vector["_kind"]], seqno=vector["seqno"], **request_arguments(vector)
    )
    wire = version.encode_frame(frame, key=frame_key(vector), iv=iv(vector))
    assert wire.hex() == vector["frame_hex"]
