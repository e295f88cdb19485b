"""R1: the decoders are total. Random bytes and mutations of real frames, every version, both
directions, the streaming decoder and decode_broadcast: only TuyaError subclasses escape.

A plain seeded loop rather than hypothesis, so that 200k inputs take seconds.
TUYAFACE_FUZZ_COUNT sets the number of inputs per backend (default 200000; `tox -e codec-fuzz`
runs millions), TUYAFACE_FUZZ_SEED the seed. A failure prints what is needed to replay it.
"""

from __future__ import annotations

import base64
import collections
import os
import random
from collections.abc import Callable
from typing import Any

import attrs
from codec_support import BUILTIN_VERSIONS, protocol
from vectors import frame_bytes, frame_key, frame_vectors, from_device, udp_vectors

import tuyaface_codec
from tuyaface_codec import (
    CryptoBackend,
    Frame,
    FrameDecoder,
    Protocol,
    RequestKind,
    TuyaError,
)
from tuyaface_codec.udp import UDP_KEY

FUZZ_COUNT = int(os.environ.get("TUYAFACE_FUZZ_COUNT", "200000"))
FUZZ_SEED = int(os.environ.get("TUYAFACE_FUZZ_SEED", "20240917"))
KEY = b"0123456789abcdef"
LENGTHS = (0, 1, 2, 3, 2**31, 2**32 - 1)


@attrs.define
class Target:
    """One decoder under test and the valid inputs its mutations start from."""

    name: str
    decode: Callable[[bytes], Any]
    seeds: list[bytes]
    seal: Callable[[random.Random], bytes]  # a well-formed frame around random contents


def _length_offset(data: bytes) -> int:
    return 14 if data.startswith(b"\x00\x00\x66\x99") else 12


def _random_contents(rng: random.Random, tag: bytes) -> bytes:
    """Payload bytes that get past the frame check and into the payload cipher."""
    size = rng.randrange(0, 120)
    kind = rng.randrange(6)
    if kind == 0:
        return rng.randbytes(size)
    if kind == 1:
        return rng.randbytes(16 * rng.randrange(0, 8))
    if kind == 2:
        return tag + rng.randbytes(12) + rng.randbytes(size)
    if kind == 3:  # the 3.1 signed base64 shape
        return b"3.1" + rng.randbytes(16) + base64.b64encode(rng.randbytes(16 * rng.randrange(4)))
    if kind == 4:
        return b"{" + rng.randbytes(size)
    return rng.randbytes(4) + b"{" + rng.randbytes(size)


def _frame_target(
    name: str, version: Protocol, key: bytes, device: bool, seeds: list[bytes]
) -> Target:
    def decode(data: bytes) -> Any:
        return version.decode_frame(data, key=key, from_device=device)

    def seal(rng: random.Random) -> bytes:
        retcode = rng.choice((0, 1, rng.randrange(2**32))) if device else None
        contents = _random_contents(rng, version.version_tag)
        return version.layout.encode(
            rng.randrange(2**32),
            rng.choice((7, 8, 9, 10, 13, 16, rng.randrange(256))),
            retcode,
            contents,
            key=key,
            iv=rng.randbytes(12),
            crypto=version.backend(),
        )

    return Target(name, decode, seeds, seal)


def _generated_seeds(version: Protocol, key: bytes, device: bool) -> list[bytes]:
    frames = [
        version.build_request(kind, seqno=1, dev_id="bf0123456789abcdefgh", t=1, dps={"1": 1})
        for kind in (RequestKind.STATUS, RequestKind.SET, RequestKind.HEARTBEAT)
    ]
    if device:
        frames = [
            Frame(2, 10, b'{"devId":"x","dps":{"1":true}}', 0),
            Frame(0, 8, b'{"dps":{"1":false}}', 0, bytes.fromhex("0000000000004ac800000001")),
            Frame(3, 9, b"", 0),
            Frame(4, 10, b"json obj data unvalid", 1),
        ]
    return [version.encode_frame(frame, key=key, iv=bytes(range(12))) for frame in frames]


def _targets(crypto: CryptoBackend) -> list[Target]:
    targets: list[Target] = []
    grouped: dict[tuple[str, bool, bytes], list[bytes]] = collections.defaultdict(list)
    for vector in frame_vectors():
        grouped[(vector["version"], from_device(vector), frame_key(vector) or KEY)].append(
            frame_bytes(vector)
        )
    for (tag, device, key), seeds in sorted(grouped.items()):
        name = f"{tag}/{'device' if device else 'client'}/{key.hex()[:6]}"
        targets.append(_frame_target(name, protocol(tag, crypto), key, device, seeds))
    for tag in BUILTIN_VERSIONS:
        version = protocol(tag, crypto)
        for device in (False, True):
            seeds = _generated_seeds(version, KEY, device)
            role = "device" if device else "client"
            targets.append(_frame_target(f"{tag}/{role}/generated", version, KEY, device, seeds))
            targets.append(_stream_target(f"{tag}/{role}/stream", version, device, seeds))
    targets.append(_broadcast_target(crypto))
    return targets


def _stream_target(name: str, version: Protocol, device: bool, seeds: list[bytes]) -> Target:
    cap = 512
    largest = version.layout.header_size + cap + 4

    def decode(data: bytes) -> list[Frame]:
        decoder = FrameDecoder(version, key=KEY, from_device=device, max_length=cap)
        rng = random.Random(len(data))
        frames: list[Frame] = []
        position = 0
        while position < len(data):
            step = rng.randrange(1, 64)
            chunk, position = data[position : position + step], position + step
            for _ in range(len(data) + 2):  # each error moves past at least one prefix
                try:
                    frames += decoder.feed(chunk)
                    break
                except TuyaError:
                    chunk = b""
            assert decoder.buffered < largest, "decoder buffer grew past one largest frame"
        return frames

    def seal(rng: random.Random) -> bytes:
        return b"".join(rng.choice(seeds) for _ in range(rng.randrange(1, 4)))

    return Target(name, decode, seeds, seal)


def _broadcast_target(crypto: CryptoBackend) -> Target:
    seeds = [frame_bytes(vector) for vector in udp_vectors()]
    seeds += [
        protocol(tag, crypto).encode_broadcast({"ip": "10.0.0.9", "version": tag}, iv=bytes(12))
        for tag in BUILTIN_VERSIONS
    ]

    def decode(data: bytes) -> Any:
        return tuyaface_codec.decode_broadcast(data, crypto=crypto)

    def seal(rng: random.Random) -> bytes:
        version = protocol(rng.choice(BUILTIN_VERSIONS), crypto)
        contents = _random_contents(rng, b"3.3")
        if version.broadcast.ecb and rng.randrange(2):
            contents = crypto.ecb_encrypt(UDP_KEY, contents + bytes(-len(contents) % 16))
        return version.broadcast.layout.encode(
            0, version.broadcast.cmd, rng.choice((0, None)), contents, key=UDP_KEY,
            iv=rng.randbytes(12), crypto=crypto,
        )

    return Target("broadcast", decode, seeds, seal)


def mutate(rng: random.Random, target: Target) -> bytes:
    seed = rng.choice(target.seeds)
    kind = rng.randrange(12)
    if kind == 0:
        return rng.randbytes(rng.randrange(0, 300))
    if kind == 1:
        return seed[:4] + rng.randbytes(rng.randrange(0, 300))
    if kind == 2:
        return target.seal(rng)
    if kind == 3:
        return seed
    data = bytearray(seed)
    if kind == 4:
        for _ in range(rng.randrange(1, 5)):
            bit = rng.randrange(len(data) * 8)
            data[bit // 8] ^= 0x80 >> (bit % 8)
    elif kind == 5:
        for _ in range(rng.randrange(1, 5)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif kind == 6:
        del data[rng.randrange(len(data) + 1) :]
    elif kind == 7:
        at = rng.randrange(len(data) + 1)
        data[at:at] = rng.randbytes(rng.randrange(1, 17))
    elif kind == 8:
        at = rng.randrange(len(data))
        del data[at : at + rng.randrange(1, 17)]
    elif kind == 9:
        offset = _length_offset(seed)
        current = int.from_bytes(seed[offset : offset + 4], "big")
        length = rng.choice((*LENGTHS, current + 1, current - 1, rng.randrange(2**32)))
        data[offset : offset + 4] = (length % 2**32).to_bytes(4, "big")
    elif kind == 10:
        other = rng.choice(target.seeds)
        data = data[: rng.randrange(len(data) + 1)] + other[rng.randrange(len(other) + 1) :]
    else:
        data += rng.choice(target.seeds)
    return bytes(data)


def test_only_tuya_errors_escape(crypto: CryptoBackend) -> None:
    rng = random.Random(f"{FUZZ_SEED}-{crypto.name}")
    targets = _targets(crypto)
    failures: list[str] = []
    outcomes: collections.Counter[str] = collections.Counter()
    for index in range(FUZZ_COUNT):
        target = targets[index % len(targets)]
        data = mutate(rng, target)
        try:
            target.decode(data)
            outcomes["decoded"] += 1
        except TuyaError as exc:
            outcomes[type(exc).__name__] += 1
        except Exception as exc:  # exactly what R1 forbids: record it
            failures.append(
                f"input {index} for {target.name}: {type(exc).__name__}: {exc} "
                f"(seed {FUZZ_SEED}, backend {crypto.name}, data {data.hex()})"
            )
            if len(failures) >= 5:
                break
    assert not failures, "\n".join(failures)
    assert sum(outcomes.values()) == FUZZ_COUNT
    # The inputs reach every stage: framing, integrity, decryption, padding and JSON.
    if FUZZ_COUNT >= 20_000:
        for stage in ("decoded", "FrameError", "IntegrityError", "DecryptError", "PayloadError"):
            assert outcomes[stage] > 0, (stage, outcomes)
