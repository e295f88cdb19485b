"""Streaming decoder: bytes in any split or concatenation -> whole frames."""

from __future__ import annotations

import attrs

from .errors import CodecError, TuyaError
from .frame import Frame
from .keys import KeyLike, as_key
from .protocol import Protocol

__all__ = ["DEFAULT_MAX_LENGTH", "FrameDecoder"]

# Real frames are a few hundred bytes; TuyaOpen firmware rejects anything over 4 KB.
# Gateways answering LAN_EXT_STREAM can be larger, so allow 16 KiB by default.
DEFAULT_MAX_LENGTH = 16 * 1024


@attrs.define
class FrameDecoder:
    """Feed bytes, get frames. Skips garbage to the next prefix and rejects a `length` over
    `max_length` as soon as the header is read.

    When a frame fails its checks, `feed` raises; the frames completed before it in the same
    call are returned by the next `feed` (which may be `feed(b"")`), and decoding resumes
    after the bad frame's prefix, so nothing good is lost.
    """

    protocol: Protocol
    key: bytes | None = attrs.field(converter=as_key, repr=False, kw_only=True)
    from_device: bool = attrs.field(kw_only=True)
    max_length: int = attrs.field(default=DEFAULT_MAX_LENGTH, kw_only=True)
    _buffer: bytearray = attrs.field(factory=bytearray, init=False, repr=False)
    _ready: list[Frame] = attrs.field(factory=list, init=False, repr=False)

    def set_key(self, key: KeyLike | None) -> None:
        """Use `key` for the frames that follow (the session key after a handshake)."""
        self.key = as_key(key)

    @property
    def buffered(self) -> int:
        """Bytes held back waiting for the rest of a frame."""
        return len(self._buffer)

    def feed(self, data: bytes, *, limit: int | None = None) -> list[Frame]:
        """Add bytes; return every frame now complete, in order. With `limit`, at most that
        many: the rest stays buffered for the next call (`feed(b"")`), so the caller can
        change the key between frames, as a 3.4 / 3.5 device must after the handshake."""
        buffer = self._buffer
        buffer += data
        frames, self._ready = self._ready, []
        layout = self.protocol.layout
        prefix = layout.prefix
        while limit is None or len(frames) < limit:
            start = buffer.find(prefix)
            if start < 0:
                del buffer[: max(0, len(buffer) - len(prefix) + 1)]
                return frames
            del buffer[:start]
            if len(buffer) < layout.header_size:
                return frames
            try:
                size = layout.frame_size(bytes(buffer[: layout.header_size]), self.max_length)
            except CodecError:
                self._skip_prefix(frames)
                raise
            if len(buffer) < size:
                return frames
            chunk = bytes(buffer[:size])
            try:
                frames.append(
                    self.protocol.decode_frame(chunk, key=self.key, from_device=self.from_device)
                )
            except TuyaError:  # also LocalProtocolError (no key for it): never wedge on it
                self._skip_prefix(frames)
                raise
            del buffer[:size]
        return frames

    def feed_checked(
        self, data: bytes, *, limit: int | None = None
    ) -> tuple[list[Frame], CodecError | None]:
        """`feed` that does not raise: (the frames completed before the first one that
        failed its checks, that failure or None). Handle the frames first, then the error:
        the outcome is then the same however the bytes were split. Call again (with b"")
        after an error for the frames that follow the bad one."""
        try:
            frames = self.feed(data, limit=limit)
        except CodecError as exc:
            frames, self._ready = self._ready, []
            return frames, exc
        return frames, None

    def _skip_prefix(self, frames: list[Frame]) -> None:
        del self._buffer[: len(self.protocol.layout.prefix)]
        self._ready = frames
