"""FrameDecoder: resync costs work linear in the bytes received (issue 10, item 10).

Hostile input: fake headers claiming about 16 KiB each, back to back ("bait"), or 32 bytes
apart with the suffix planted where each claims to end ("planted"), so that every candidate
waits for its body and then fails. The work counted is the bytes handed to the layout's
`decode` (each is copied, then integrity-checked): the part that grows with a frame's length.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest

import tuyaface_codec
from tuyaface_codec import CodecError, CryptoBackend, Frame, FrameDecoder, Protocol
from tuyaface_codec._layout import RawFrame
from tuyaface_codec.parts import FrameLayout

KEY = b"0123456789abcdef"
MIB = 1024 * 1024
CLAIMED = 16 * 1024 - 400
STRIDE = 32
Maker = Callable[[Protocol, int], bytes]


@attrs.define
class CountingLayout:
    """A real layout that counts the bytes its `decode` is given."""

    inner: FrameLayout
    decoded: int = 0

    @property
    def prefix(self) -> bytes:
        return self.inner.prefix

    @property
    def suffix(self) -> bytes:
        return self.inner.suffix

    @property
    def header_size(self) -> int:
        return self.inner.header_size

    @property
    def iv_size(self) -> int:
        return self.inner.iv_size

    def frame_size(self, header: bytes, max_length: int) -> int:
        return self.inner.frame_size(header, max_length)

    def encode(
        self,
        seqno: int,
        cmd: int,
        retcode: int | None,
        payload: bytes,
        *,
        key: bytes | None,
        iv: bytes | None,
        crypto: CryptoBackend,
    ) -> bytes:
        return self.inner.encode(seqno, cmd, retcode, payload, key=key, iv=iv, crypto=crypto)

    def decode(
        self, data: bytes, *, key: bytes | None, from_device: bool, crypto: CryptoBackend
    ) -> RawFrame:
        self.decoded += len(data)
        return self.inner.decode(data, key=key, from_device=from_device, crypto=crypto)


def counting(tag: str) -> tuple[Protocol, CountingLayout]:
    version = tuyaface_codec.get_protocol(tag)
    layout = CountingLayout(version.layout)
    return version.replace(layout=layout), layout


def fake_header(version: Protocol, length: int) -> bytes:
    wire = version.encode_frame(Frame(1, 9), key=KEY, iv=bytes(12))
    return wire[: version.layout.header_size - 4] + length.to_bytes(4, "big")


def bait(version: Protocol, size: int) -> bytes:
    fake = fake_header(version, CLAIMED)
    return (fake * (size // len(fake) + 1))[:size]


def planted(version: Protocol, size: int) -> bytes:
    layout, suffix_at, claimed = version.layout, STRIDE - 8, CLAIMED
    while (layout.frame_size(fake_header(version, claimed), 1 << 30) - 4) % STRIDE != suffix_at:
        claimed += 1
    block = bytearray(STRIDE)
    block[: layout.header_size] = fake_header(version, claimed)
    block[suffix_at : suffix_at + 4] = layout.suffix
    return (bytes(block) * (size // STRIDE + 1))[:size]


def feed_kib(decoder: FrameDecoder, data: bytes) -> tuple[list[Frame], int]:
    """Feed 1 KiB at a time, going on after each bad frame: (frames, errors)."""
    frames: list[Frame] = []
    errors = 0
    for offset in range(0, len(data) + 1024, 1024):
        chunk = data[offset : offset + 1024]
        while True:
            try:
                frames += decoder.feed(chunk)
                break
            except CodecError:
                errors += 1
                chunk = b""
    return frames, errors


def work(tag: str, make: Maker, size: int, *, from_device: bool = False) -> tuple[int, int]:
    """(bytes copied and integrity-checked, candidates rejected) for `size` bytes of input."""
    version, layout = counting(tag)
    decoder = FrameDecoder(version, key=KEY, from_device=from_device)
    _, errors = feed_kib(decoder, make(version, size))
    return layout.decoded, errors


@pytest.mark.parametrize("make", [bait, planted], ids=["bait", "planted"])
@pytest.mark.parametrize("tag", ["3.3", "3.4", "3.5"])
def test_resync_work_is_linear_in_the_input(tag: str, make: Maker) -> None:
    small, small_rejects = work(tag, make, 2 * MIB)
    large, large_rejects = work(tag, make, 4 * MIB)
    assert small <= 2 * MIB  # each byte is copied and checked at most once
    assert large <= 4 * MIB
    assert large <= 2.2 * max(small, 1)
    # Each rejected candidate costs O(1) besides: prefixes cannot overlap (one per 4 bytes).
    assert small_rejects <= 2 * MIB // 4
    assert large_rejects <= 2.2 * max(small_rejects, 1)


@pytest.mark.parametrize("make", [bait, planted], ids=["bait", "planted"])
def test_resync_work_is_linear_in_the_client_role_too(make: Maker) -> None:
    assert work("3.3", make, 2 * MIB, from_device=True)[0] <= 2 * MIB


@pytest.mark.parametrize("make", [bait, planted], ids=["bait", "planted"])
@pytest.mark.parametrize("tag", ["3.3", "3.5"])
def test_a_good_frame_after_the_bait_still_decodes(tag: str, make: Maker) -> None:
    version = tuyaface_codec.get_protocol(tag)
    good = version.encode_frame(Frame(7, 10, b'{"dps":{"1":true}}'), key=KEY, iv=bytes(12))
    stream = make(version, 256 * 1024) + bytes(20 * 1024) + good
    decoder = FrameDecoder(version, key=KEY, from_device=False)
    frames, errors = feed_kib(decoder, stream)
    assert [(f.seqno, f.payload) for f in frames] == [(7, b'{"dps":{"1":true}}')]
    assert errors > 0 and decoder.buffered < len(version.layout.prefix)
