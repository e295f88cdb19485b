"""Streaming decoder: bytes in any split or concatenation -> whole frames."""

from __future__ import annotations

from ._layout import require_suffix
from .errors import CodecError, TuyaError
from .frame import Frame
from .keys import KeyLike, as_key
from .protocol import Protocol

__all__ = ["DEFAULT_MAX_LENGTH", "FrameDecoder"]

# Real frames are a few hundred bytes; TuyaOpen firmware rejects anything over 4 KB.
# Gateways answering LAN_EXT_STREAM can be larger, so allow 16 KiB by default.
DEFAULT_MAX_LENGTH = 16 * 1024


class FrameDecoder:
    """Feed bytes, get frames. Skips garbage to the next prefix and rejects a `length` over
    `max_length` as soon as the header is read.

    When a frame fails its checks, `feed` raises; the frames completed before it in the same
    call are returned by the next `feed` (which may be `feed(b"")`), and decoding resumes
    after the bad frame: after its prefix when its length cannot be trusted (over the cap, or
    no suffix where the length says the frame ends), after the whole frame when prefix,
    length and suffix agree but the integrity check or decryption fails.

    Resync costs time linear in the bytes received, whatever they are (issue 10):

    - scanning: `find` only looks at bytes past the read offset, and the offset only moves
      forward; consumed bytes are dropped from the buffer once they are at least half of
      it, so each byte is moved O(1) times;
    - each candidate (a prefix; prefixes cannot overlap, so at most one per 4 bytes) costs
      O(1) until its whole claimed length has arrived: the header is parsed once per `feed`
      while waiting, and the suffix is compared without copying anything;
    - only a candidate whose suffix sits where its length says is copied and
      integrity-checked, and whether it passes or fails, its bytes are then consumed: the
      checked spans never overlap, so no byte is copied or checked twice.
    """

    __slots__ = ("_buffer", "_ready", "_start", "from_device", "key", "max_length", "protocol")

    def __init__(
        self,
        protocol: Protocol,
        *,
        key: KeyLike | None,
        from_device: bool,
        max_length: int = DEFAULT_MAX_LENGTH,
    ) -> None:
        self.protocol = protocol
        self.key = as_key(key)
        self.from_device = from_device
        self.max_length = max_length
        self._buffer = bytearray()
        self._start = 0  # bytes of _buffer consumed
        # Frames completed before a bad one, for the next `feed`; None (no list kept, none
        # made per feed) otherwise: 56 bytes per connection.
        self._ready: list[Frame] | None = None

    def __repr__(self) -> str:  # never the key
        return (
            f"FrameDecoder(protocol={self.protocol!r}, from_device={self.from_device!r}, "
            f"max_length={self.max_length!r})"
        )

    def set_key(self, key: KeyLike | None) -> None:
        """Use `key` for the frames that follow (the session key after a handshake)."""
        self.key = as_key(key)

    @property
    def buffered(self) -> int:
        """Bytes held back waiting for the rest of a frame."""
        return len(self._buffer) - self._start

    def feed(self, data: bytes, *, limit: int | None = None) -> list[Frame]:
        """Add bytes; return every frame now complete, in order. With `limit`, at most that
        many: the rest stays buffered for the next call (`feed(b"")`), so the caller can
        change the key between frames, as a 3.4 / 3.5 device must after the handshake."""
        self._compact()
        self._buffer += data
        frames, self._ready = self._ready or [], None
        while limit is None or len(frames) < limit:
            size = self._next_frame_size(frames)
            if size is None:
                if self._start == len(self._buffer):  # keep no copy of the last frame
                    self._buffer.clear()  # (about 140 bytes per idle connection)
                    self._start = 0
                return frames
            start = self._start
            chunk = bytes(self._buffer[start : start + size])
            try:
                frames.append(
                    self.protocol.decode_frame(chunk, key=self.key, from_device=self.from_device)
                )
            except TuyaError:  # also LocalProtocolError (no key for it): never wedge on it
                self._skip(size, frames)
                raise
            self._start = start + size
        return frames

    def feed_checked(
        self, data: bytes, *, limit: int | None = None
    ) -> tuple[list[Frame], CodecError | None]:
        """`feed` that does not raise: (the frames completed before the first one that
        failed its checks, that failure or None). Handle the frames first, then the error:
        the outcome is then the same however the bytes were split. Call again (with b"")
        after an error for the frames that follow the bad one. The error comes without its
        traceback, which would keep the read and the bad frame's bytes alive."""
        try:
            frames = self.feed(data, limit=limit)
        except CodecError as exc:
            frames, self._ready = self._ready or [], None
            return frames, exc.with_traceback(None)
        return frames, None

    def _next_frame_size(self, frames: list[Frame]) -> int | None:
        """Move to the next prefix; the size of the frame there once all of it arrived and
        it ends with the suffix, None while it is incomplete (or no prefix is in sight)."""
        buffer, layout = self._buffer, self.protocol.layout
        start = buffer.find(layout.prefix, self._start)
        if start < 0:  # keep a tail that may be the start of a prefix
            self._start = max(self._start, len(buffer) - len(layout.prefix) + 1)
            return None
        self._start = start
        if len(buffer) - start < layout.header_size:
            return None
        try:
            header = bytes(buffer[start : start + layout.header_size])
            size = layout.frame_size(header, self.max_length)
            if len(buffer) - start < size:
                return None
            require_suffix(layout.suffix, buffer, start + size)
        except CodecError:
            self._skip(len(layout.prefix), frames)
            raise
        return size

    def _skip(self, count: int, frames: list[Frame]) -> None:
        self._start += count
        self._ready = frames

    def _compact(self) -> None:
        """Drop consumed bytes once they are at least half the buffer (amortised O(1))."""
        if self._start and self._start * 2 >= len(self._buffer):
            del self._buffer[: self._start]
            self._start = 0
