"""FrameDecoder: R2 split invariance, R3 resync, R4 length cap."""

from __future__ import annotations

import contextlib
import itertools
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import pytest
from codec_support import BUILTIN_VERSIONS, flip, protocol
from hypothesis import given
from hypothesis import strategies as st
from vectors import frame_bytes, frame_key, frame_vectors, from_device

from tuyaface_codec import (
    CodecError,
    CryptoBackend,
    Frame,
    FrameDecoder,
    FrameError,
    IntegrityError,
    LocalProtocolError,
    Protocol,
)

KEY = b"0123456789abcdef"


class Stream(NamedTuple):
    """Vector frames of one version, direction and key: one side of a conversation."""

    tag: str
    device: bool
    key: bytes | None
    wires: list[bytes]

    def decoder(self, crypto: CryptoBackend) -> FrameDecoder:
        return FrameDecoder(protocol(self.tag, crypto), key=self.key, from_device=self.device)

    def expected(self, crypto: CryptoBackend) -> list[Frame]:
        """The one-shot decode every other way of feeding must match."""
        frames = self.decoder(crypto).feed(b"".join(self.wires))
        assert len(frames) == len(self.wires)
        return frames


def _vector_streams() -> list[Stream]:
    groups: dict[tuple[str, bool, bytes | None], list[bytes]] = defaultdict(list)
    for vector in frame_vectors():
        if vector["cmd"] in (3, 4, 5):
            continue  # handshake frames use the local key, the rest the session key
        device = from_device(vector)
        groups[(vector["version"], device, frame_key(vector))].append(frame_bytes(vector))
    return [Stream(tag, device, key, wires[:5]) for (tag, device, key), wires in groups.items()]


STREAMS = _vector_streams()


def _stream_id(stream: Stream) -> str:
    role = "device" if stream.device else "client"
    return f"{stream.tag}-{role}-{len(stream.wires)}frames-{(stream.key or b'').hex()[:6]}"


def decoder_for(version: Protocol, key: bytes | None, device: bool, **kwargs: Any) -> FrameDecoder:
    return FrameDecoder(version, key=key, from_device=device, **kwargs)


def feed_all(decoder: FrameDecoder, chunks: Iterable[bytes]) -> list[Frame]:
    frames: list[Frame] = []
    for chunk in chunks:
        frames.extend(decoder.feed(chunk))
    return frames


def drain(decoder: FrameDecoder, chunks: Iterable[bytes]) -> tuple[list[Frame], list[CodecError]]:
    """Feed every chunk; on a bad frame keep going (feed(b"") hands back what was decoded)."""
    frames: list[Frame] = []
    errors: list[CodecError] = []
    for chunk in [*chunks, b""]:
        data = chunk
        while True:
            try:
                frames.extend(decoder.feed(data))
                break
            except CodecError as exc:
                errors.append(exc)
                data = b""
    return frames, errors


def cut(data: bytes, points: Sequence[int]) -> list[bytes]:
    edges = [0, *sorted(points), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


@pytest.mark.parametrize("stream", STREAMS, ids=_stream_id)
def test_split_invariance_on_vector_streams(stream: Stream, crypto: CryptoBackend) -> None:
    """R2: one-shot, every single cut, random 2-16 pieces and byte at a time agree."""
    data = b"".join(stream.wires)
    expected = stream.expected(crypto)
    for position in range(len(data) + 1):
        assert feed_all(stream.decoder(crypto), cut(data, [position])) == expected
    rng = random.Random(len(data))
    for _ in range(50):
        points = rng.sample(range(1, len(data)), rng.randint(1, 15))
        assert feed_all(stream.decoder(crypto), cut(data, points)) == expected
    one_byte = stream.decoder(crypto)
    assert feed_all(one_byte, (data[i : i + 1] for i in range(len(data)))) == expected
    assert one_byte.buffered == 0


def _frames(tag: str, device: bool) -> st.SearchStrategy[Frame]:
    payload = st.one_of(
        st.just(b""),
        st.dictionaries(st.text(min_size=1, max_size=5), st.integers(), max_size=4).map(
            lambda d: repr(d).encode()
        ),
        st.binary(min_size=1, max_size=80).filter(lambda b: not b.startswith(b"3.")),
    )
    return st.builds(
        Frame,
        seqno=st.integers(0, 2**32 - 1),
        cmd=st.sampled_from([8, 9, 10, 13, 16, 18, 64]),
        payload=payload,
        retcode=st.integers(0, 2**32 - 1) if device else st.none(),
    )


def _encode(version: Protocol, frames: list[Frame], rng: random.Random) -> bytes:
    return b"".join(
        version.encode_frame(frame, key=KEY, iv=rng.randbytes(12)) for frame in frames
    )


@pytest.mark.parametrize("device", [False, True], ids=["client", "device"])
@pytest.mark.parametrize("tag", BUILTIN_VERSIONS)
@given(data=st.data())
def test_split_invariance_random_streams(
    tag: str, device: bool, crypto: CryptoBackend, data: st.DataObject
) -> None:
    """R2 with generated streams of 1-5 frames, cut into 2-16 random pieces."""
    version = protocol(tag, crypto)
    frames = data.draw(st.lists(_frames(tag, device), min_size=1, max_size=5))
    stream = _encode(version, frames, random.Random(data.draw(st.integers(0, 2**32))))
    points = data.draw(
        st.lists(st.integers(1, max(1, len(stream) - 1)), min_size=1, max_size=15)
    )
    one_shot = decoder_for(version, KEY, device).feed(stream)
    assert [(f.seqno, f.cmd, f.retcode, f.payload) for f in one_shot] == [
        (f.seqno, f.cmd, f.retcode, f.payload) for f in frames
    ]
    assert feed_all(decoder_for(version, KEY, device), cut(stream, points)) == one_shot


def _garbage(prefix: bytes) -> st.SearchStrategy[bytes]:
    return st.binary(max_size=64).filter(lambda g: prefix not in g)


@pytest.mark.parametrize("stream", STREAMS, ids=_stream_id)
@given(data=st.data())
def test_resync_over_garbage_between_frames(
    stream: Stream, crypto: CryptoBackend, data: st.DataObject
) -> None:
    """R3: 0-64 garbage bytes before, between and after frames: every frame still comes out."""
    garbage = _garbage(protocol(stream.tag, crypto).layout.prefix)
    pieces = [data.draw(garbage)]
    for wire in stream.wires:
        pieces += [wire, data.draw(garbage)]
    noisy = b"".join(pieces)
    expected = stream.expected(crypto)
    assert stream.decoder(crypto).feed(noisy) == expected
    points = data.draw(st.lists(st.integers(1, len(noisy) - 1), max_size=15))
    assert feed_all(stream.decoder(crypto), cut(noisy, points)) == expected


@pytest.mark.parametrize("stream", STREAMS, ids=_stream_id)
def test_resync_after_a_corrupted_frame(stream: Stream, crypto: CryptoBackend) -> None:
    """A damaged frame raises once; the frames before and after it still come out, in order."""
    wires = stream.wires
    expected = stream.expected(crypto)
    for bad in range(len(wires)):
        damaged = flip(wires[bad], len(wires[bad]) * 8 - 64)  # inside the trailer / tag
        stream_bytes = b"".join([*wires[:bad], damaged, *wires[bad + 1 :]])
        sevens = [stream_bytes[i : i + 7] for i in range(0, len(stream_bytes), 7)]
        for chunks in ([stream_bytes], sevens):
            frames, errors = drain(stream.decoder(crypto), chunks)
            assert frames == expected[:bad] + expected[bad + 1 :]
            assert len(errors) == 1 and isinstance(errors[0], IntegrityError)


def _header(version: Protocol, length: int) -> bytes:
    """A frame header claiming `length`, built from a real frame of this layout."""
    wire = version.encode_frame(Frame(1, 9), key=KEY, iv=bytes(12))
    size = version.layout.header_size
    return wire[: size - 4] + length.to_bytes(4, "big")


@pytest.mark.parametrize("tag", BUILTIN_VERSIONS)
@pytest.mark.parametrize("claimed", [2**31, 2**32 - 1, 4097, 1025])
def test_length_over_the_cap_is_rejected_as_soon_as_the_header_is_read(
    tag: str, claimed: int, crypto: CryptoBackend
) -> None:
    """R4: the header alone is enough to refuse; nothing of the body is waited for."""
    version = protocol(tag, crypto)
    header = _header(version, claimed)
    decoder = decoder_for(version, KEY, False, max_length=1024)
    assert decoder.feed(header[:-1]) == []
    with pytest.raises(FrameError, match="cap"):
        decoder.feed(header[-1:])
    assert decoder.buffered < len(header)
    # The decoder stays usable: a good frame afterwards decodes.
    good = version.encode_frame(Frame(2, 9, b"{}"), key=KEY, iv=bytes(12))
    assert [f.seqno for f in decoder.feed(good)] == [2]


@pytest.mark.parametrize("tag", BUILTIN_VERSIONS)
def test_default_cap_rejects_huge_lengths(tag: str, crypto: CryptoBackend) -> None:
    decoder = decoder_for(protocol(tag, crypto), KEY, True)
    with pytest.raises(FrameError):
        decoder.feed(_header(protocol(tag, crypto), 2**32 - 1))


@pytest.mark.parametrize("tag", BUILTIN_VERSIONS)
@pytest.mark.parametrize("claimed", [0, 1, 2, 3])
def test_length_too_small_for_the_trailer_is_rejected(
    tag: str, claimed: int, crypto: CryptoBackend
) -> None:
    version = protocol(tag, crypto)
    with pytest.raises(FrameError):
        decoder_for(version, KEY, False).feed(_header(version, claimed))


def _largest_frame(version: Protocol, cap: int) -> int:
    return version.layout.frame_size(_header(version, cap), cap)


@pytest.mark.parametrize("tag", BUILTIN_VERSIONS)
def test_a_frame_of_exactly_the_cap_is_accepted_and_the_buffer_stays_bounded(
    tag: str, crypto: CryptoBackend
) -> None:
    """R4: the buffer never holds more than one largest allowed frame (header + cap, plus the
    4-byte suffix that 6699's length leaves out)."""
    version = protocol(tag, crypto)
    cap = 300
    largest = _largest_frame(version, cap)
    size = largest - len(version.encode_frame(Frame(1, 9), key=KEY, iv=bytes(12)))
    while True:  # ECB pads to 16 bytes: shrink the body until the frame fits
        body = b"x" * size
        wire = version.encode_frame(Frame(1, 9, body), key=KEY, iv=bytes(12))
        if len(wire) <= largest:
            break
        size -= 1
    assert largest - 16 < len(wire) <= largest
    with pytest.raises(FrameError):  # one block more is over the cap
        decoder_for(version, KEY, False, max_length=cap).feed(
            version.encode_frame(Frame(1, 9, body + bytes(16)), key=KEY, iv=bytes(12))
        )
    decoder = decoder_for(version, KEY, False, max_length=cap)
    out: list[Frame] = []
    for i in range(len(wire)):
        out += decoder.feed(wire[i : i + 1])
        assert decoder.buffered < largest
    assert [f.payload for f in out] == [body]


@pytest.mark.parametrize("tag", BUILTIN_VERSIONS)
@given(data=st.data())
def test_the_buffer_never_grows_past_one_largest_frame(
    tag: str, crypto: CryptoBackend, data: st.DataObject
) -> None:
    version = protocol(tag, crypto)
    cap = 256
    largest = _largest_frame(version, cap)
    prefix = version.layout.prefix
    pieces = data.draw(
        st.lists(
            st.one_of(
                st.binary(max_size=600),
                st.integers(0, 2**32 - 1).map(lambda n: _header(version, n)),
                st.just(prefix),
            ),
            max_size=12,
        )
    )
    decoder = decoder_for(version, KEY, False, max_length=cap)
    for piece in pieces:
        with contextlib.suppress(CodecError):
            decoder.feed(piece)
        assert decoder.buffered < largest


def test_a_frame_the_decoder_has_no_key_for_does_not_wedge_the_stream(
    crypto: CryptoBackend,
) -> None:
    """A 3.1 reader without a key (status needs none) gets an encrypted push: it raises
    LocalProtocolError once, and the plaintext reply behind it still comes out."""
    version = protocol("3.1", crypto)
    push = version.encode_frame(Frame(0, 8, b'{"dps":{"1":true}}', 0), key=KEY)
    reply = version.encode_frame(Frame(1, 10, b'{"dps":{"1":true}}', 0), key=None)
    decoder = FrameDecoder(version, key=None, from_device=True)
    with pytest.raises(LocalProtocolError, match="key"):
        decoder.feed(push + reply)
    assert [frame.seqno for frame in decoder.feed(b"")] == [1]
    assert decoder.buffered == 0


@pytest.mark.parametrize("tag", ["3.4", "3.5"])
def test_limit_lets_the_key_change_between_frames(tag: str, crypto: CryptoBackend) -> None:
    """A device reading the handshake FINISH and the first session frame from one read:
    `limit=1` hands over one frame, then the session key decodes the rest."""
    version = protocol(tag, crypto)
    session_key = bytes(range(16))
    finish = version.encode_frame(Frame(2, 5, bytes(32)), key=KEY, iv=bytes(12))
    query = version.encode_frame(Frame(3, 16, b"{}"), key=session_key, iv=bytes(range(12)))
    decoder = FrameDecoder(version, key=KEY, from_device=False)
    assert [f.cmd for f in decoder.feed(finish + query, limit=1)] == [5]
    assert decoder.buffered == len(query)
    decoder.set_key(session_key)
    assert [f.payload for f in decoder.feed(b"", limit=1)] == [b"{}"]
    assert decoder.feed(b"") == [] and decoder.buffered == 0
