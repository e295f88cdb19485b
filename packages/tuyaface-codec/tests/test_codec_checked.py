"""`FrameDecoder.feed_checked`: the good frames and the error together, in stream order,
whatever the split; and 3.2 reading the 3.3 version header (issue 10, items 3 and 6)."""

from __future__ import annotations

import pytest
from codec_support import BUILTIN_VERSIONS, protocol

from tuyaface_codec import (
    CodecError,
    Command,
    CryptoBackend,
    Frame,
    FrameDecoder,
    IntegrityError,
    get_protocol,
)

KEY = b"0123456789abcdef"


def device_frames(tag: str, crypto: CryptoBackend) -> list[bytes]:
    version = protocol(tag, crypto)
    iv = bytes(12) if version.iv_size else None
    payloads = [b'{"dps":{"1":true}}', b'{"dps":{"2":5}}', b'{"dps":{"3":"x"}}']
    return [
        version.encode_frame(Frame(n, Command.STATUS, body, 0), key=KEY, iv=iv)
        for n, body in enumerate(payloads, 1)
    ]


def damaged(wire: bytes) -> bytes:
    """A byte of the CRC / HMAC / tag flipped (just before the 4-byte suffix)."""
    return wire[:-5] + bytes([wire[-5] ^ 0xFF]) + wire[-4:]


def read(decoder: FrameDecoder, pieces: list[bytes]) -> list[object]:
    """Frames (their seqno) and errors (their type), in the order feed_checked gives them."""
    seen: list[object] = []
    for piece in [*pieces, b""]:
        data = piece
        while True:
            frames, error = decoder.feed_checked(data)
            seen += [frame.seqno for frame in frames]
            if error is None:
                break
            seen.append(type(error))
            data = b""
    return seen


@pytest.mark.parametrize("tag", BUILTIN_VERSIONS)
def test_feed_checked_gives_frames_then_the_error_at_every_cut(
    tag: str, crypto: CryptoBackend
) -> None:
    first, second, third = device_frames(tag, crypto)
    stream = first + damaged(second) + third
    for cut in range(len(stream) + 1):
        decoder = FrameDecoder(protocol(tag, crypto), key=KEY, from_device=True)
        assert read(decoder, [stream[:cut], stream[cut:]]) == [1, IntegrityError, 3], cut
    decoder = FrameDecoder(protocol(tag, crypto), key=KEY, from_device=True)
    assert read(decoder, [stream[i : i + 1] for i in range(len(stream))]) == [
        1,
        IntegrityError,
        3,
    ]


@pytest.mark.parametrize("tag", BUILTIN_VERSIONS)
def test_feed_checked_in_one_call_returns_the_frame_before_the_bad_one(
    tag: str, crypto: CryptoBackend
) -> None:
    first, second, _ = device_frames(tag, crypto)
    decoder = FrameDecoder(protocol(tag, crypto), key=KEY, from_device=True)
    frames, error = decoder.feed_checked(first + damaged(second))
    assert [frame.seqno for frame in frames] == [1]
    assert isinstance(error, IntegrityError)
    assert decoder.feed_checked(b"") == ([], None)


def test_feed_still_raises_and_hands_back_the_frames_later(crypto: CryptoBackend) -> None:
    first, second, _ = device_frames("3.3", crypto)
    decoder = FrameDecoder(protocol("3.3", crypto), key=KEY, from_device=True)
    with pytest.raises(CodecError):
        decoder.feed(first + damaged(second))
    assert [frame.seqno for frame in decoder.feed(b"")] == [1]


@pytest.mark.parametrize("header", ["3.2", "3.3"])
def test_32_reads_a_32_or_33_version_header(header: str) -> None:
    body = b'{"devId":"x","dps":{"1":true}}'
    wire = get_protocol(header).encode_frame(Frame(1, Command.CONTROL, body), key=KEY)
    assert wire[16:19] == header.encode()
    frame = get_protocol("3.2").decode_frame(wire, key=KEY, from_device=False)
    assert frame.payload == body


def test_33_does_not_read_a_32_header() -> None:
    """Only 3.2 takes another version's header (what tuyapi sends it)."""
    body = b'{"devId":"x","dps":{"1":true}}'
    wire = get_protocol("3.2").encode_frame(Frame(1, Command.CONTROL, body), key=KEY)
    with pytest.raises(CodecError):
        get_protocol("3.3").decode_frame(wire, key=KEY, from_device=False)
