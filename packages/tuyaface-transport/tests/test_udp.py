"""The UDP datagram listener on 127.0.0.1: receive, send to a chosen address, shared ports."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from conftest import open_fds

from tuyaface_transport import TransportClosedError, TransportError, TransportTimeout
from tuyaface_transport.udp import open_datagram_listener


async def test_receive_from_and_send_to() -> None:
    async with await open_datagram_listener("127.0.0.1", 0) as listener:
        host, port = listener.address
        assert host == "127.0.0.1" and port > 0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
            peer.bind(("127.0.0.1", 0))
            peer.settimeout(2)
            peer.sendto(b"hello", (host, port))
            data, sender = await listener.receive(2)
            assert (data, sender) == (b"hello", peer.getsockname())
            listener.send_to(b"reply", sender)
            assert peer.recvfrom(100) == (b"reply", (host, port))


async def test_receive_times_out() -> None:
    async with await open_datagram_listener("127.0.0.1", 0) as listener:
        started = time.monotonic()
        with pytest.raises(TransportTimeout):
            await listener.receive(0.1)
        assert 0.09 <= time.monotonic() - started < 2.0


async def test_listeners_share_a_port_with_reuse_port() -> None:
    first = await open_datagram_listener("127.0.0.1", 0)
    port = first.address[1]
    second = await open_datagram_listener("127.0.0.1", port)
    try:
        assert second.address == first.address
        senders = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(64)]
        for i, sender in enumerate(senders):
            sender.sendto(bytes([i]), ("127.0.0.1", port))
        received: set[int] = set()
        counts = []
        for listener in (first, second):
            count = 0
            while True:
                try:
                    data, _ = await listener.receive(0.2)
                except TransportTimeout:
                    break
                received.add(data[0])
                count += 1
            counts.append(count)
        assert received == set(range(64))  # each datagram reached one of them
        assert all(counts)  # the kernel spread the senders over both listeners
    finally:
        for sender in senders:
            sender.close()
        await first.aclose()
        await second.aclose()


async def test_without_reuse_port_the_port_is_taken() -> None:
    async with await open_datagram_listener("127.0.0.1", 0, reuse_port=False) as first:
        with pytest.raises(TransportError, match="cannot listen"):
            await open_datagram_listener("127.0.0.1", first.address[1], reuse_port=False)


async def test_closed_listener() -> None:
    fds = open_fds()
    listener = await open_datagram_listener("127.0.0.1", 0)
    await listener.aclose()
    assert open_fds() == fds
    with pytest.raises(TransportClosedError):
        await listener.receive(0.1)
    with pytest.raises(TransportClosedError):
        listener.send_to(b"x", ("127.0.0.1", 9))


async def test_a_waiting_receive_ends_when_closed() -> None:
    listener = await open_datagram_listener("127.0.0.1", 0)
    waiting = asyncio.create_task(listener.receive(5))
    await asyncio.sleep(0.01)
    listener.close()
    with pytest.raises(TransportClosedError):
        await waiting


def test_local_address_facing() -> None:
    from tuyaface_transport import local_address_facing

    assert local_address_facing("127.0.0.1") == "127.0.0.1"
    assert local_address_facing("127.255.255.255") == "127.0.0.1"  # broadcast is allowed
