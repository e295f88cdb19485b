"""Every fault of the loopback plan, observed from the other end of the connection."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from tuyaface_transport import (
    AsyncTransport,
    FaultPlan,
    LoopbackListener,
    LoopbackTransport,
    TransportClosedError,
    TransportConnectError,
    TransportResetError,
    TransportTimeout,
    get_transport,
    loopback_pair,
)

REPLY = [b"0123", b"456789", b"abcdefghij"]  # three writes, 20 bytes
WHOLE = b"".join(REPLY)


def drain(transport: LoopbackTransport, quiet: float = 0.05) -> tuple[list[bytes], str]:
    """Chunks received until end of stream ("eof"), a reset or `quiet` seconds of silence."""
    chunks: list[bytes] = []
    while True:
        try:
            chunk = transport.receive(quiet)
        except TransportTimeout:
            return chunks, "open"
        except TransportResetError:
            return chunks, "reset"
        if not chunk:
            return chunks, "eof"
        chunks.append(chunk)


def serve_reply(listener: LoopbackListener) -> tuple[LoopbackTransport, LoopbackTransport]:
    client = listener.connect()
    server = listener.accept(1)
    for write in REPLY:
        server.send(write)
    return client, server


@pytest.mark.parametrize("k", range(len(WHOLE) + 1))
@pytest.mark.parametrize("close_with", ["eof", "reset"])
def test_close_after_k_bytes(loopback_listener: LoopbackListener, k: int, close_with: str) -> None:
    plan = FaultPlan(close_after=k, close_with=close_with)  # type: ignore[arg-type]
    loopback_listener.faults = plan
    client = loopback_listener.connect()
    server = loopback_listener.accept(1)
    sent = 0
    for write in REPLY:
        if sent >= k and sent > 0:  # the write that reached k dropped the connection
            with pytest.raises(TransportResetError):
                server.send(write)
            break
        server.send(write)
        sent += len(write)
    chunks, end = drain(client)
    assert b"".join(chunks) == WHOLE[:k]
    assert end == close_with
    with pytest.raises(TransportResetError):
        client.send(b"request")
    if close_with == "eof":
        assert server.receive(0) == b""
    else:
        with pytest.raises(TransportResetError):
            server.receive(0)
    assert loopback_listener.open_connections == 0


def test_close_after_reaches_the_server_side_too(loopback_listener: LoopbackListener) -> None:
    loopback_listener.faults = FaultPlan(close_after=5)
    client = loopback_listener.connect()
    server = loopback_listener.accept(1)
    server.send(b"0123456789")
    assert drain(client) == ([b"01234"], "eof")
    assert server.receive(1) == b""
    with pytest.raises(TransportResetError):
        server.send(b"more")


def test_delay_holds_every_write(loopback_listener: LoopbackListener) -> None:
    loopback_listener.faults = FaultPlan(delay=0.2)
    client = loopback_listener.connect()
    server = loopback_listener.accept(1)
    started = time.monotonic()
    server.send(b"late")
    with pytest.raises(TransportTimeout):
        client.receive(0.1)
    assert client.receive(1) == b"late"
    assert 0.19 <= time.monotonic() - started < 0.2 + 2.0


def test_delay_of_one_write_keeps_order(loopback_listener: LoopbackListener) -> None:
    loopback_listener.faults = FaultPlan(delay=0.15, delay_writes={1})
    client, _ = serve_reply(loopback_listener)
    assert client.receive(0) == REPLY[0]
    with pytest.raises(TransportTimeout):
        client.receive(0.05)  # the third write waits behind the delayed second one
    assert client.receive(1) == REPLY[1]
    assert client.receive(0) == REPLY[2]


async def test_delay_seen_by_an_async_client(loopback_listener: LoopbackListener) -> None:
    loopback_listener.faults = FaultPlan(delay=0.15)
    client = await loopback_listener.aconnect()
    server = loopback_listener.accept(1)
    server.send(b"late")
    with pytest.raises(TransportTimeout):
        await client.receive(0.05)
    assert await client.receive(1) == b"late"


def test_one_byte_writes(loopback_listener: LoopbackListener) -> None:
    loopback_listener.faults = FaultPlan(one_byte_writes=True)
    client, _ = serve_reply(loopback_listener)
    chunks, end = drain(client)
    assert chunks == [bytes([b]) for b in WHOLE]
    assert end == "open"


def test_duplicate_a_write(loopback_listener: LoopbackListener) -> None:
    loopback_listener.faults = FaultPlan(duplicate_writes={1})
    client, _ = serve_reply(loopback_listener)
    chunks, _ = drain(client)
    assert chunks == [REPLY[0], REPLY[1], REPLY[1], REPLY[2]]


def test_drop_a_write(loopback_listener: LoopbackListener) -> None:
    loopback_listener.faults = FaultPlan(drop_writes={0, 2})
    client, server = serve_reply(loopback_listener)
    assert drain(client) == ([REPLY[1]], "open")
    server.send(b"next")
    assert client.receive(1) == b"next"


def test_corrupt_bytes(loopback_listener: LoopbackListener) -> None:
    loopback_listener.faults = FaultPlan(corrupt_bytes={0, 5, 19})
    client, _ = serve_reply(loopback_listener)
    received = b"".join(drain(client)[0])
    assert len(received) == len(WHOLE)
    assert [i for i in range(len(WHOLE)) if received[i] != WHOLE[i]] == [0, 5, 19]
    assert received[5] == WHOLE[5] ^ 0xFF


def test_stall_is_half_open(loopback_listener: LoopbackListener) -> None:
    loopback_listener.faults = FaultPlan(stall_after=7)
    client, server = serve_reply(loopback_listener)
    assert b"".join(drain(client)[0]) == WHOLE[:7]
    server.send(b"never arrives")  # the writer notices nothing
    with pytest.raises(TransportTimeout):
        client.receive(0.05)  # no data, and no end of stream either
    client.send(b"ping")  # the other direction still works
    assert server.receive(1) == b"ping"


def test_second_connection_refused_quickly(loopback_listener: LoopbackListener) -> None:
    loopback_listener.faults = FaultPlan(second_connection="refuse")
    first = loopback_listener.connect()
    first_server = loopback_listener.accept(1)
    started = time.monotonic()
    with pytest.raises(TransportConnectError, match="one connection at a time"):
        loopback_listener.connect()
    assert time.monotonic() - started < 2.0  # refused there and then: nothing to wait for
    assert loopback_listener.turned_away == 1
    first.send(b"still served")
    assert first_server.receive(1) == b"still served"
    first.close()
    loopback_listener.connect()  # the slot is free again
    assert loopback_listener.accepted == 2


@pytest.mark.parametrize(("policy", "end"), [("reset", "reset"), ("close", "eof")])
def test_second_connection_reset_or_closed(
    loopback_listener: LoopbackListener, policy: str, end: str
) -> None:
    loopback_listener.faults = FaultPlan(second_connection=policy)  # type: ignore[arg-type]
    first = loopback_listener.connect()
    first_server = loopback_listener.accept(1)
    second = loopback_listener.connect()
    assert drain(second) == ([], end)
    with pytest.raises(TransportResetError):
        second.send(b"x")
    with pytest.raises(TransportTimeout):
        loopback_listener.accept(0.01)  # the server never saw the second one
    first_server.send(b"ok")
    assert first.receive(1) == b"ok"


def test_faults_for_the_first_connections_only(loopback_listener: LoopbackListener) -> None:
    loopback_listener.faults = FaultPlan(close_after=2, connections=1)
    first = loopback_listener.connect()
    loopback_listener.accept(1).send(WHOLE)
    assert drain(first) == ([WHOLE[:2]], "eof")
    second, _ = serve_reply(loopback_listener)
    assert b"".join(drain(second)[0]) == WHOLE


def test_client_faults_seen_by_the_server(loopback_listener: LoopbackListener) -> None:
    loopback_listener.client_faults = FaultPlan(one_byte_writes=True, corrupt_bytes={1})
    client = loopback_listener.connect()
    server = loopback_listener.accept(1)
    client.send(b"abc")
    assert drain(server)[0] == [b"a", bytes([ord("b") ^ 0xFF]), b"c"]
    server.send(b"clean")
    assert client.receive(1) == b"clean"


def test_not_accepting_then_back(loopback_listener: LoopbackListener) -> None:
    loopback_listener.accepting = False
    with pytest.raises(TransportConnectError, match="not accepting"):
        loopback_listener.connect()
    loopback_listener.accepting = True
    loopback_listener.connect()


@pytest.mark.parametrize("end", ["eof", "reset"])
def test_drop_connections(loopback_listener: LoopbackListener, end: str) -> None:
    client, server = serve_reply(loopback_listener)
    assert loopback_listener.drop_connections(end) == 1  # type: ignore[arg-type]
    assert drain(client) == (REPLY, end)
    assert drain(server) == ([], end)
    assert loopback_listener.open_connections == 0


def test_closing_the_listener() -> None:
    listener = LoopbackListener("closing", 6668)
    pending = listener.connect()
    listener.close()
    assert drain(pending) == ([], "reset")
    with pytest.raises(TransportClosedError):
        listener.accept(0)
    with pytest.raises(TransportConnectError):
        get_transport("loopback").connect("closing", 6668, timeout=1)
    LoopbackListener("closing", 6668).close()  # the address is free again


def test_address_in_use() -> None:
    with LoopbackListener("taken", 1), pytest.raises(OSError, match="in use"):
        LoopbackListener("taken", 1)


@pytest.mark.parametrize(
    "bad",
    [{"close_after": -1}, {"delay": -0.1}, {"close_with": "boom"}, {"second_connection": "x"}],
)
def test_invalid_plans(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="FaultPlan"):
        FaultPlan(**bad)  # type: ignore[arg-type]


def test_pair_with_faults_from_two_threads() -> None:
    client, server = loopback_pair(faults=FaultPlan(one_byte_writes=True))
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.extend(drain(client, 1.0)[0]))
    reader.start()
    server.send(b"xyz")
    server.close()
    reader.join(5)
    assert got == [b"x", b"y", b"z"]


async def test_async_client_and_blocking_server_in_a_thread(
    loopback_listener: LoopbackListener,
) -> None:
    loopback_listener.faults = FaultPlan(one_byte_writes=True, delay=0.05)

    def blocking_server() -> None:
        with loopback_listener.accept(5) as conn:
            request = conn.receive(5)
            conn.send(request.upper())

    thread = threading.Thread(target=blocking_server)
    thread.start()
    client = await loopback_listener.aconnect()
    await client.send(b"hello")
    received = b""
    while len(received) < 5:
        received += await client.receive(5)
    assert received == b"HELLO"
    assert await client.receive(5) == b""
    await asyncio.to_thread(thread.join, 5)


async def test_blocking_client_in_a_thread_and_async_server_with_faults() -> None:
    async def handler(transport: AsyncTransport) -> None:
        request = await transport.receive(5)
        await transport.send(request[::-1])

    factory = get_transport("loopback")
    server = await factory.start_server(  # type: ignore[call-arg]
        "cross", 0, handler, faults=FaultPlan(one_byte_writes=True, duplicate_writes={0})
    )
    async with server:
        host, port = server.address

        def blocking_client() -> bytes:
            with factory.connect(host, port, timeout=1) as conn:
                conn.send(b"abc")
                return b"".join(drain(conn, 1.0)[0])

        assert await asyncio.to_thread(blocking_client) == b"cbacba"


async def test_server_loop_in_another_thread(loopback_listener: LoopbackListener) -> None:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    try:

        async def handler(transport: AsyncTransport) -> None:
            await transport.send(b"from the other loop")

        loopback_listener.serve(handler, loop=loop)
        client = await loopback_listener.aconnect()
        assert await client.receive(2) == b"from the other loop"
        assert await client.receive(2) == b""
    finally:
        loopback_listener.close()
        loop.call_soon_threadsafe(loop.stop)
        await asyncio.to_thread(thread.join, 5)
        loop.close()


def test_async_reader_yields_while_data_is_queued() -> None:
    """A reader draining a full queue lets the loop run between reads (issue 10): a
    writer in another thread must not be able to hold the reader's loop."""
    client, server = loopback_pair()
    for index in range(1000):
        server.send(bytes([index % 256]))
    server.close()

    async def main() -> tuple[int, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        ticking = asyncio.get_running_loop().create_task(ticker())
        await asyncio.sleep(0)  # the ticker is running
        start, reads = ticks, 0
        reader = client.as_async()
        while await reader.receive(1.0):
            reads += 1
        ticking.cancel()
        return reads, ticks - start

    reads, ticks = asyncio.run(main())
    assert reads == 1000
    assert ticks >= reads // 64 - 1  # the loop ran at least once per 64 reads
