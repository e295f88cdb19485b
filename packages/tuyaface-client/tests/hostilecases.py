"""The misbehaviours a `HostileDevice` plays (see hostilekit.py), one `Case` each.

Written from docs/protocol.md: frame layouts (§3-§5), the key exchange (§8), seqnos (§9.1).
Each script sees one connection; `CASES` lists them all, by name.
"""

from __future__ import annotations

import asyncio
import os
import struct

from hostilekit import (
    ECHOING,
    HANDSHAKE,
    HONEST_DPS,
    STALE_DPS,
    WRONG_LOCAL_KEY,
    Case,
    Conn,
    Script,
)

from tuyaface_codec import Command, Frame, get_protocol, handshake

__all__ = ["CASES", "CASE_NAMES", "FLOODS"]

_PUSHES = 20_000  # an "endless" flood: far more than any client should keep


async def _request(conn: Conn) -> Frame | None:
    """The handshake (3.4 / 3.5), then the client's first request."""
    if not await conn.handshake():
        return None
    return await conn.next_request()


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x5A]) + data[index + 1 :]


def _header(conn: Conn, length: int) -> bytes:
    """A valid prefix and header whose length field says `length`."""
    layout = conn.protocol.layout
    sample = conn.frame(Command.STATUS, b"{}")
    offset = layout.header_size - 4
    return sample[:offset] + struct.pack(">I", length)


# -- garbage and framing ------------------------------------------------------------------


async def garbage(conn: Conn) -> None:
    await _request(conn)
    await conn.send(os.urandom(4096))


async def garbage_first(conn: Conn) -> None:
    """Random bytes at once, before the client says anything."""
    await conn.send(os.urandom(4096))


async def garbage_stream(conn: Conn) -> None:
    await _request(conn)
    for _ in range(256):
        if not await conn.send(os.urandom(1024)):
            return
        await asyncio.sleep(0)


def _claiming(length: int) -> Script:
    async def script(conn: Conn) -> None:
        await _request(conn)
        await conn.send(_header(conn, length) + os.urandom(64))

    return script


async def fake_headers(conn: Conn) -> None:
    """Resync bait: prefixes 16 bytes apart, each claiming 16 KiB, for 1 MiB."""
    await _request(conn)
    bait = _header(conn, 16 * 1024 - 64)[:16]
    await conn.send(bait * (1024 * 1024 // len(bait)))


async def slowloris(conn: Conn) -> None:
    """The right answer, one byte per second."""
    request = await _request(conn)
    if request is not None:
        await conn.trickle(conn.status_answer(request), 1.0)


async def one_byte_segments(conn: Conn) -> None:
    """The right answer, one byte per TCP segment (but quickly)."""
    request = await _request(conn)
    if request is not None:
        await conn.trickle(conn.status_answer(request), 0.0)
        await conn.serve_honestly()


async def many_frames_one_segment(conn: Conn) -> None:
    request = await _request(conn)
    if request is not None:
        pushes = b"".join(conn.push({"4": n}) for n in range(30))
        await conn.send(pushes + conn.status_answer(request) + pushes)
        await conn.serve_honestly()


async def reply_then_garbage(conn: Conn) -> None:
    """An intact answer and a broken frame in one write."""
    request = await _request(conn)
    if request is not None:
        await conn.send(conn.status_answer(request) + _flip(conn.push({"4": 1}), -5))
        await conn.serve_honestly()


async def half_frame_then_silence(conn: Conn) -> None:
    request = await _request(conn)
    if request is not None:
        answer = conn.status_answer(request)
        await conn.send(answer[: len(answer) // 2])


async def reset_mid_frame(conn: Conn) -> None:
    request = await _request(conn)
    if request is not None:
        answer = conn.status_answer(request)
        await conn.send(answer[: len(answer) // 2])
        await asyncio.sleep(0.05)
        conn.abort()


async def close_immediately(conn: Conn) -> None:
    await conn.close()


async def reset_immediately(conn: Conn) -> None:
    conn.abort()


async def silence(conn: Conn) -> None:
    await conn.hold()


async def silence_after_handshake(conn: Conn) -> None:
    await _request(conn)


# -- integrity and payloads --------------------------------------------------------------


async def bad_checksum(conn: Conn) -> None:
    """CRC32 (3.1-3.3), HMAC (3.4) or GCM tag (3.5) wrong: the byte before the suffix."""
    request = await _request(conn)
    if request is not None:
        await conn.send(_flip(conn.status_answer(request), -5))


async def tampered_body(conn: Conn) -> None:
    request = await _request(conn)
    if request is not None:
        answer = conn.status_answer(request)
        await conn.send(_flip(answer, len(answer) // 2))


def _answering(body: bytes, *, retcode: int = 0) -> Script:
    async def script(conn: Conn) -> None:
        request = await _request(conn)
        if request is not None:
            await conn.send(conn.answer(request, body, retcode=retcode))

    return script


async def undecryptable(conn: Conn) -> None:
    """Integrity fine, but the body is random bytes rather than ciphertext of anything."""
    request = await _request(conn)
    if request is not None:
        await conn.send(conn.raw(request.cmd, os.urandom(37), seqno=request.seqno))


async def other_key(conn: Conn) -> None:
    request = await _request(conn)
    if request is not None:
        answer = conn.status_json()
        await conn.send(conn.answer(request, answer, key=WRONG_LOCAL_KEY))


async def other_layout(conn: Conn) -> None:
    """A 6699 frame to a 55AA client, and a 55AA frame to a 6699 client."""
    request = await _request(conn)
    if request is not None:
        other = get_protocol("3.3" if conn.protocol.version == "3.5" else "3.5")
        body = conn.status_json()
        await conn.send(conn.answer(request, body, protocol=other))


async def other_device_id(conn: Conn) -> None:
    request = await _request(conn)
    if request is not None:
        await conn.send(conn.answer(request, conn.status_json(dev_id="someoneelse0000000000")))
        await conn.serve_honestly()


# -- conversation ------------------------------------------------------------------------


async def other_seqno(conn: Conn) -> None:
    request = await _request(conn)
    if request is not None:
        body = conn.status_json(STALE_DPS)
        await conn.send(conn.answer(request, body, seqno=request.seqno + 1000))


async def wrong_command(conn: Conn) -> None:
    request = await _request(conn)
    if request is not None:
        body = conn.status_json(STALE_DPS)
        await conn.send(conn.answer(request, body, cmd=Command.UPDATEDPS))


async def _late(conn: Conn, **options: int) -> None:
    """The answer after the client gave up, arriving just before the next call's answer.
    A push right after the request keeps the connection alive in the client's eyes."""
    request = await _request(conn)
    if request is None:
        return
    await conn.send(conn.push({"4": 1}))
    conn.honest = True  # kept when the device behaves again: the late answer is due
    following = await conn.next_request()
    if following is not None:
        stale = conn.answer(request, conn.status_json(STALE_DPS), **options)
        await conn.send(stale + conn.honest_answer(following))
        await conn.serve_honestly()


async def late_reply(conn: Conn) -> None:
    await _late(conn)


async def late_reply_seqno_zero(conn: Conn) -> None:
    """As `late_reply`, but the late answer carries seqno 0 (as pushes do)."""
    await _late(conn, seqno=0)


async def duplicate_replies(conn: Conn) -> None:
    """Every answer twice (byte for byte): the copy must not answer the next call."""
    request = await _request(conn)
    if request is not None:
        answer = conn.status_answer(request, STALE_DPS)
        await conn.send(answer + answer)
        await conn.serve_honestly()


async def seqno_backwards(conn: Conn) -> None:
    """Device counters jumping back (a reboot, a wrap): pushes, then the answer."""
    request = await _request(conn)
    if request is not None:
        pushes = b"".join(conn.push({"4": n}, seqno=9 - n) for n in range(8))
        await conn.send(pushes + conn.status_answer(request))
        await conn.serve_honestly()


async def retcode_error(conn: Conn) -> None:
    request = await _request(conn)
    if request is not None:
        await conn.send(conn.answer(request, b"some device error", retcode=1))


async def data_unvalid_forever(conn: Conn) -> None:
    """'data unvalid' to every request, whatever the command."""
    if not await conn.handshake():
        return
    while (request := await conn.next_request()) is not None:
        if not await conn.send(conn.answer(request, b"json obj data unvalid", retcode=1)):
            return


async def push_flood(conn: Conn) -> None:
    """Valid pushes without end, and never an answer."""
    if not await conn.handshake():
        return
    for n in range(_PUSHES):
        if not await conn.send(conn.push({"4": n})):
            return
        await asyncio.sleep(0)  # the other cases in this loop get their turn


async def push_flood_then_answer(conn: Conn) -> None:
    """500 pushes, then the answer, in one write. The pushes are made before the request
    arrives: encrypting them takes this process's CPU (the client's too) and must not make
    the answer itself late."""
    if not await conn.handshake():
        return
    pushes = b"".join(conn.push({"4": n}) for n in range(500))
    request = await conn.next_request()
    if request is not None:
        await conn.send(pushes + conn.status_answer(request))
        await conn.serve_honestly()


async def unreadable_push_flood(conn: Conn) -> None:
    """Pushes whose payload is not JSON, without end."""
    if not await conn.handshake():
        return
    for _ in range(_PUSHES):
        seqno = 0 if conn.protocol.device_echoes_seqno else None
        if not await conn.send(conn.frame(Command.STATUS, b"\xff not json", seqno=seqno)):
            return
        await asyncio.sleep(0)  # the other cases in this loop get their turn


async def huge_dp_map(conn: Conn) -> None:
    """A status answer with thousands of DPs (near the 16 KiB frame cap)."""
    request = await _request(conn)
    if request is not None:
        dps = {**HONEST_DPS, **{str(n): n for n in range(100, 1500)}}
        await conn.send(conn.answer(request, conn.status_json(dps)))


async def deep_json(conn: Conn) -> None:
    request = await _request(conn)
    if request is not None:
        body = b'{"dps": {"1": ' + b"[" * 5000 + b"]" * 5000 + b"}}"
        await conn.send(conn.answer(request, body))


async def odd_dp_ids(conn: Conn) -> None:
    """DP ids that are empty, lone surrogates, control characters or huge numbers."""
    request = await _request(conn)
    if request is not None:
        body = (
            b'{"devId": "x", "dps": {"1": "ok", "": 1, "\\ud800": "\\udfff", '
            b'"\\u001b[31m": "\\u001b]0;pwned\\u0007", "99999999999999999999": {"a": [1]}}}'
        )
        await conn.send(conn.answer(request, body))


async def dps_not_a_map(conn: Conn) -> None:
    request = await _request(conn)
    if request is not None:
        await conn.send(conn.answer(request, b'{"devId": "x", "dps": [true, 1, null]}'))


async def heartbeat_garbage(conn: Conn) -> None:
    if not await conn.handshake():
        return
    if await conn.next_frame() is not None:
        await conn.send(os.urandom(200))


async def heartbeat_silence(conn: Conn) -> None:
    if await conn.handshake():
        await conn.hold()


# -- the key exchange (3.4 / 3.5) ---------------------------------------------------------


async def handshake_wrong_hmac(conn: Conn) -> None:
    start = await conn.await_start()
    if start is not None:
        nonce = os.urandom(handshake.NONCE_SIZE)
        await conn.send(conn.handshake_response(start, nonce, key=WRONG_LOCAL_KEY))


async def handshake_wrong_length(conn: Conn) -> None:
    start = await conn.await_start()
    if start is not None:
        await conn.send(conn.frame(Command.SESS_KEY_NEG_RESP, os.urandom(20)))


async def handshake_garbage(conn: Conn) -> None:
    if await conn.await_start() is not None:
        await conn.send(os.urandom(300))


async def handshake_silence(conn: Conn) -> None:
    if await conn.await_start() is not None:
        await conn.hold()


async def handshake_push_storm(conn: Conn) -> None:
    """Pushes (under the local key) before the answer to the key exchange."""
    storm = b"".join(conn.push({"4": n}) for n in range(300))
    if await conn.handshake(before=storm):
        await conn.serve_honestly()


async def handshake_twice(conn: Conn) -> None:
    """A second key-exchange answer after the first one succeeded."""
    start = await conn.await_start()
    if start is None:
        return
    first = os.urandom(handshake.NONCE_SIZE)
    second = os.urandom(handshake.NONCE_SIZE)
    await conn.send(conn.handshake_response(start, first) + conn.handshake_response(start, second))


CASES: tuple[Case, ...] = (
    Case("garbage", garbage),
    Case("garbage_first", garbage_first),
    Case("garbage_stream", garbage_stream),
    Case("length_0", _claiming(0)),
    Case("length_2_31", _claiming(1 << 31)),
    Case("length_2_32_minus_1", _claiming((1 << 32) - 1)),
    Case("fake_headers", fake_headers),
    Case("slowloris", slowloris),
    Case("one_byte_segments", one_byte_segments, expect="ok"),
    Case("many_frames_one_segment", many_frames_one_segment, expect="ok"),
    Case("reply_then_bad_frame", reply_then_garbage, expect="ok"),
    Case("half_frame_then_silence", half_frame_then_silence),
    Case("reset_mid_frame", reset_mid_frame),
    Case("close_immediately", close_immediately),
    Case("reset_immediately", reset_immediately),
    Case("silence", silence),
    Case("silence_after_handshake", silence_after_handshake, HANDSHAKE),
    Case("bad_checksum", bad_checksum),  # CRC 3.1-3.3, HMAC 3.4, GCM tag 3.5
    Case("tampered_body", tampered_body),
    Case("undecryptable", undecryptable),
    Case("non_json", _answering(b"\x00\xffnot json at all")),
    Case("json_not_object", _answering(b"[1, 2, 3]")),
    Case("deep_json", deep_json),
    # 3.1 status answers are plaintext, checked by a CRC that involves no key.
    Case("other_key", other_key, ("3.2", "3.3", "3.4", "3.5")),
    Case("other_layout", other_layout),
    Case("other_device_id", other_device_id, expect="any"),
    # 3.4 / 3.5 devices number their own frames: no seqno to get wrong there.
    Case("other_seqno", other_seqno, ECHOING),
    Case("wrong_command", wrong_command),
    Case("late_reply", late_reply),
    Case("late_reply_seqno_0", late_reply_seqno_zero, ECHOING),
    Case("duplicate_replies", duplicate_replies, expect="ok"),
    Case("seqno_backwards", seqno_backwards, expect="ok"),
    Case("retcode_error", retcode_error),
    Case("data_unvalid_forever", data_unvalid_forever),
    Case("push_flood", push_flood),
    Case("push_flood_then_answer", push_flood_then_answer, expect="ok"),
    Case("unreadable_push_flood", unreadable_push_flood),
    Case("huge_dp_map", huge_dp_map, expect="any"),
    Case("odd_dp_ids", odd_dp_ids, expect="any"),
    Case("dps_not_a_map", dps_not_a_map, expect="any"),
    Case("heartbeat_garbage", heartbeat_garbage, call="heartbeat"),
    Case("heartbeat_silence", heartbeat_silence, call="heartbeat"),
    Case("handshake_wrong_hmac", handshake_wrong_hmac, HANDSHAKE),
    Case("handshake_wrong_length", handshake_wrong_length, HANDSHAKE),
    Case("handshake_garbage", handshake_garbage, HANDSHAKE),
    Case("handshake_silence", handshake_silence, HANDSHAKE),
    Case("handshake_push_storm", handshake_push_storm, HANDSHAKE, expect="any"),
    Case("handshake_twice", handshake_twice, HANDSHAKE, expect="any"),
)
CASE_NAMES = {case.name: case for case in CASES}
FLOODS = ("garbage_stream", "fake_headers", "push_flood", "unreadable_push_flood", "huge_dp_map")
