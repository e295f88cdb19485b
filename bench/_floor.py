"""Measured floors (issue 12): the least work any client does for the same job, beside ours.

- `FloorProtocol`: a minimal asyncio client written straight on `asyncio.Protocol`, with only
  tuyaface_codec's public functions for the frames (`Protocol.encode_frame`, `FrameDecoder`,
  `parse_json_object`, `extract_dps`) and the key maths (`tuyaface_codec.handshake`,
  `Protocol.session_key`); no `Session`, no device object, no transport package, no
  timeouts, no heartbeats. `connect.py` runs one connect + handshake + status + close per
  operation with it, `roundtrip.py` status round trips on one open connection.
- `DECODE_FLOORS`: the least work any pure-Python decoder does for one status reply (header
  unpack, the integrity check, decryption where the version encrypts, json's C scanner, the
  `dps` lookup), for `codec.py`'s decode rows: 3.1 and 3.3, the rows below 2.0x.
- `CHECKED_DECODE_FLOORS`: the same, plus exactly the checks the project requires of a
  decoder (docs/reliability.md R1, R5, R13) with the codec's error classes: the least work
  a decoder that meets the project's standards does.

The asyncio floor is only for measuring: it trusts the listener (no timeouts; a device that
never answers leaves it waiting) and handles only the frames of this exchange.
"""

from __future__ import annotations

import asyncio
import binascii
import hmac
import json
import os
import struct
import time
from collections.abc import Callable
from json.scanner import make_scanner
from typing import Any, cast

from tuyaface_codec import (
    Command,
    DecryptError,
    Frame,
    FrameDecoder,
    FrameError,
    IntegrityError,
    RequestKind,
    extract_dps,
    get_protocol,
    handshake,
    parse_json_object,
)

FLOOR = "asyncio floor"  # the contender's name in connect.py's and roundtrip.py's tables


class FloorProtocol(asyncio.Protocol):
    """One client connection: the 3.4 / 3.5 handshake from the callbacks, then status
    requests on demand (`status()`), each answer decoded in `data_received`.

    `ready` resolves once requests may be sent (at `connection_made` without a handshake),
    `closed` at `connection_lost`. Only the frames this exchange sees are handled; anything
    else fails the waiting future, so that a wrong answer cannot look fast."""

    def __init__(self, version: str, dev_id: str, local_key: str) -> None:
        self.codec = get_protocol(version)
        self.dev_id = dev_id
        self.local_key = local_key.encode("latin-1")
        self.key = self.local_key  # the session key once the handshake is done
        self.decoder = FrameDecoder(self.codec, key=self.local_key, from_device=True)
        self.status_cmd = self.codec.command_for(RequestKind.STATUS)
        self.seqno = 0
        self.nonce = b""
        loop = asyncio.get_running_loop()
        self.ready: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.waiter: asyncio.Future[dict[str, Any]] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # (uvloop's transports are not asyncio.Transport subclasses, though they act so)
        self.transport = cast(asyncio.Transport, transport)
        if self.codec.needs_handshake:
            self.nonce = os.urandom(handshake.NONCE_SIZE)
            self._send(Command.SESS_KEY_NEG_START, self.nonce, self.local_key)
        else:
            self.ready.set_result(None)

    def status(self) -> asyncio.Future[dict[str, Any]]:
        """Send one status request; the future gets the reply's DPs."""
        payload = self.codec.build_payload(RequestKind.STATUS, dev_id=self.dev_id, t=_now())
        self.waiter = waiter = asyncio.get_running_loop().create_future()
        self._send(self.status_cmd, payload, self.key)
        return waiter

    def data_received(self, data: bytes) -> None:
        try:
            self._take(data)
        except Exception as exc:  # to the awaiting coroutine, not only to the loop's log
            self._fail(exc)
            assert self.transport is not None
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(RuntimeError(f"{FLOOR}: connection lost ({exc})"))
        self.closed.set_result(None)

    def _take(self, data: bytes) -> None:
        # While handshaking, the key changes after the device's answer: one frame at a time.
        limit = None if self.ready.done() else 1
        for frame in self.decoder.feed(data, limit=limit):
            if not self.ready.done():
                self._handshake(frame)
                self._take(b"")  # frames after it, under the session key
                return
            waiter, self.waiter = self.waiter, None
            if waiter is None or frame.cmd != self.status_cmd:
                raise RuntimeError(f"{FLOOR}: unexpected frame, cmd {frame.cmd}")
            waiter.set_result(extract_dps(parse_json_object(frame.payload)))

    def _fail(self, error: Exception) -> None:
        for future in (self.ready, self.waiter):
            if future is not None and not future.done():
                future.set_exception(error)
        self.waiter = None

    def _handshake(self, frame: Frame) -> None:
        if frame.cmd != Command.SESS_KEY_NEG_RESP:
            raise RuntimeError(f"{FLOOR}: cmd {frame.cmd} during the handshake")
        remote = handshake.read_response(frame.payload, self.local_key, self.nonce)
        self._send(
            Command.SESS_KEY_NEG_FINISH,
            handshake.finish_payload(self.local_key, remote),
            self.local_key,
        )
        self.key = self.codec.session_key(self.local_key, self.nonce, remote)
        self.decoder.set_key(self.key)
        self.ready.set_result(None)

    def _send(self, cmd: int, payload: bytes, key: bytes) -> None:
        self.seqno += 1
        iv = os.urandom(self.codec.iv_size) if self.codec.iv_size else None
        frame = Frame(seqno=self.seqno, cmd=cmd, payload=payload)
        assert self.transport is not None
        self.transport.write(self.codec.encode_frame(frame, key=key, iv=iv))


class BufferedFloorProtocol(FloorProtocol, asyncio.BufferedProtocol):
    """`FloorProtocol` reading into one reused buffer, for asyncio's own loops: asyncio's
    plain reads allocate a 256 KiB bytes object each, which tuyaface's asyncio transport
    avoids the same way; without it the floor would not be the least work there. (uvloop
    reads into a buffer of its own: the plain protocol is its cheapest.)"""

    _buffer = memoryview(bytearray(64 * 1024))  # one process, one thread: shared

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(self._buffer[:nbytes].tobytes())


def _now() -> int:
    return int(time.time())


async def open_floor(
    version: str, host: str, port: int, dev_id: str, local_key: str
) -> tuple[asyncio.Transport, FloorProtocol]:
    """Connect and finish the handshake (if the version has one)."""
    loop = asyncio.get_running_loop()
    kind = BufferedFloorProtocol if isinstance(loop, asyncio.BaseEventLoop) else FloorProtocol
    transport, protocol = await loop.create_connection(
        lambda: kind(version, dev_id, local_key), host, port
    )
    await protocol.ready
    return transport, protocol


async def floor_setup(
    version: str, host: str, port: int, dev_id: str, local_key: str
) -> dict[str, Any]:
    """What `async with AsyncDevice(...) as d: await d.status()` does on the wire: connect,
    the handshake, one status request and its answer, close and wait for
    `connection_lost`. The reply's DPs."""
    transport, protocol = await open_floor(version, host, port, dev_id, local_key)
    dps = await protocol.status()
    transport.close()
    await protocol.closed
    return dps


SAFE_FLOOR = "asyncio floor + safety"  # its name in connect.py's table


async def safe_floor_setup(
    version: str,
    host: str,
    port: int,
    dev_id: str,
    local_key: str,
    *,
    timeout: float = 5.0,
) -> dict[str, Any]:
    """`floor_setup` plus the least machinery that a kept connection needs
    (docs/reliability.md), each piece one plain timer or task, as cheap as asyncio makes it:

    - the attempt (connect, handshake) bounded by `timeout` (a timer cancelling this task);
    - a task that keeps the connection while it is open (it would reconnect after a drop);
    - the status reply bounded by `timeout` (a timer failing the waiting future), the same
      timer then due for the idle connection's heartbeat (scenarios 2, 7, 8);
    - closing bounded by `timeout` (a timer cancelling the keeping task).

    It is what `AsyncDevice` must do for one set-up, without anything else it does: no
    session, no reconnection backoff, no events, no DP cache, no checks of its callers."""
    loop = asyncio.get_running_loop()
    attempt = loop.call_later(timeout, _cancel_current())
    try:
        transport, protocol = await open_floor(version, host, port, dev_id, local_key)
    finally:
        attempt.cancel()
    keeper = loop.create_task(_keep(protocol))
    waiter = protocol.status()
    # One timer per connection, not one per request: the reply's deadline, kept after the
    # reply, re-arms itself for the idle heartbeat when it fires (as AsyncDevice's does).
    timer = loop.call_later(timeout, _time_out, waiter)
    try:
        dps = await waiter
    finally:
        timer.cancel()  # closing at once: the idle connection's heartbeat never fires
    transport.close()
    bound = loop.call_later(timeout, keeper.cancel)
    try:
        await keeper
    finally:
        bound.cancel()
    return dps


def _cancel_current() -> Callable[[], object]:
    return cast(asyncio.Task[Any], asyncio.current_task()).cancel


def _time_out(waiter: asyncio.Future[dict[str, Any]]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError(f"{SAFE_FLOOR}: no status reply in time"))


async def _keep(protocol: FloorProtocol) -> None:
    """The task that owns a connection while it is open; here it only waits for the end."""
    await protocol.closed


# -- codec decode floors ------------------------------------------------------------------

_HEADER = struct.Struct(">IIII")  # prefix, seqno, cmd, length (a 55AA frame's header)
_U32 = struct.Struct(">I")
_PREFIX_55AA = 0x000055AA
# json's C scanner, what json.loads runs once it has a str, without its Python wrapper
# (decode(), two whitespace regexes): 1.0-1.2 us less per status reply here.
_SCAN = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def _crc_body(frame: bytes) -> bytes:
    """Header unpack and the CRC32 check of one 55AA device frame; its payload."""
    prefix, _seqno, _cmd, length = _HEADER.unpack_from(frame)
    end = 16 + length
    if prefix != _PREFIX_55AA or len(frame) != end:
        raise ValueError("not one whole 55AA frame")
    if binascii.crc32(frame[: end - 8]) != _U32.unpack_from(frame, end - 8)[0]:
        raise ValueError("CRC32 mismatch")
    return frame[20 : end - 8]  # after the retcode, before CRC and suffix


def _dps(text: str) -> dict[str, Any]:
    """The DPs of a JSON object; the whole text must be that object."""
    value, end = _SCAN(text, 0)
    if end != len(text):
        raise ValueError("extra data after the JSON object")
    dps: dict[str, Any] = value["dps"]
    return dps


def decode_floor_31(key: bytes) -> Callable[[bytes], dict[str, Any]]:
    """3.1 status reply: plaintext JSON; header, CRC32, JSON."""

    def decode(frame: bytes) -> dict[str, Any]:
        return _dps(_crc_body(frame).decode())

    return decode


def decode_floor_33(key: bytes) -> Callable[[bytes], dict[str, Any]]:
    """3.3 status reply: header, CRC32, AES-ECB with one reused decryption context
    (`cryptography`: ECB keeps no state between whole blocks), PKCS#7 unpad, JSON.
    No check for a clear version header in front: this reply has none."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    update = Cipher(algorithms.AES(key), modes.ECB()).decryptor().update

    def decode(frame: bytes) -> dict[str, Any]:
        plain = update(_crc_body(frame))
        return _dps(plain[: -plain[-1]].decode())

    return decode


# Versions with a decode floor, for codec.py: the factory takes the frame's key.
DecodeFloor = Callable[[bytes], Callable[[bytes], dict[str, Any]]]
DECODE_FLOORS: dict[str, DecodeFloor] = {
    "3.1": decode_floor_31,
    "3.3": decode_floor_33,
}
DECODE_FLOOR_WORK = {
    "3.1": "header, CRC32, JSON",
    "3.3": "header, CRC32, AES-ECB, unpad, JSON",
}


# -- checked decode floors ----------------------------------------------------------------
# The floors above plus the checks the project requires, each raising the codec's error
# class for it, as decode_frame + parse_json_object + extract_dps do
# (packages/tuyaface-codec/tests/test_codec_bench_floor.py): the suffix, outside the CRC
# (docs/reliability.md R5), the CRC compared in constant time, every padding byte (3.3), and
# the JSON through the codec's own public parse_json_object and extract_dps (R1, R13). Still
# no Frame object, no key or backend lookup, no version header or plaintext fallback (this
# reply has neither).

_SUFFIX_AA55 = bytes.fromhex("0000aa55")
_PADDINGS = tuple(bytes((k,)) * k for k in range(17))  # k bytes of value k: PKCS#7's padding


def _checked_body(frame: bytes) -> bytes:
    """`_crc_body` with every framing check and the codec's errors: FrameError, IntegrityError."""
    size = len(frame)
    end = size - 8  # the payload's end: CRC32 and suffix follow
    if end < 20:  # header and return code
        raise FrameError(f"{size} bytes are too few for a 55AA frame")
    prefix, _seqno, _cmd, length = _HEADER.unpack_from(frame)
    if prefix != _PREFIX_55AA:
        raise FrameError("frame does not start with 000055AA")
    if length != size - 16:
        raise FrameError(f"length field says {length}, frame holds {size - 16}")
    if frame[end + 4 :] != _SUFFIX_AA55:
        raise FrameError("frame does not end with 0000AA55")
    if not hmac.compare_digest(_U32.pack(binascii.crc32(frame[:end])), frame[end : end + 4]):
        raise IntegrityError("frame checksum mismatch")
    return frame[20:end]


def checked_decode_floor_31(key: bytes) -> Callable[[bytes], dict[str, Any]]:
    """3.1 status reply: header, suffix, CRC32 (constant time), the codec's JSON checks."""

    def decode(frame: bytes) -> dict[str, Any]:
        return extract_dps(parse_json_object(_checked_body(frame)))

    return decode


def checked_decode_floor_33(key: bytes) -> Callable[[bytes], dict[str, Any]]:
    """3.3 status reply: header, suffix, CRC32 (constant time), whole AES blocks, AES-ECB
    with one reused context, every PKCS#7 byte (DecryptError), the codec's JSON checks."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    update = Cipher(algorithms.AES(key), modes.ECB()).decryptor().update

    def decode(frame: bytes) -> dict[str, Any]:
        body = _checked_body(frame)
        if body:  # an empty payload is no JSON: PayloadError below, as in the codec
            if len(body) % 16:  # a partial block would also stay in the reused context
                raise DecryptError("encrypted payload is not whole AES blocks")
            plain = update(body)
            k = plain[-1]
            if not 0 < k <= 16 or not plain.endswith(_PADDINGS[k]):
                raise DecryptError("bad padding after decryption")
            body = plain[:-k]
        return extract_dps(parse_json_object(body))

    return decode


CHECKED_DECODE_FLOORS: dict[str, DecodeFloor] = {
    "3.1": checked_decode_floor_31,
    "3.3": checked_decode_floor_33,
}
CHECKED_DECODE_FLOOR_WORK = {  # what each adds to its floor
    "3.1": "+ suffix, compare_digest, parse_json_object, extract_dps",
    "3.3": "+ suffix, compare_digest, PKCS#7, parse_json_object, extract_dps",
}
