"""Scans over real UDP sockets on 127.0.0.1, against Announcers of every version."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import tuyaface
import tuyaface.discovery as discovery
from tuyaface.announce import Announcer
from tuyaface.discovery import Scanner, ScanOptions
from tuyaface_codec import (
    LocalProtocolError,
    NetworkError,
    PayloadError,
    encode_discovery_request,
    get_protocol,
)
from tuyaface_transport import open_datagram_listener

LOCAL = "127.0.0.1"
README = Path(__file__).resolve().parents[3] / "README.md"
QUICK = 0.05  # seconds between announcements / requests in these tests


def info(dev_id: str, **more: Any) -> dict[str, Any]:
    return {"gwId": dev_id, "productKey": f"pk-{dev_id}", "active": 2, **more}


def local_options(**changes: Any) -> ScanOptions:
    return ScanOptions.local(request_interval=QUICK, **changes)


@contextlib.asynccontextmanager
async def announcing(*announcers: Announcer) -> AsyncIterator[list[Announcer]]:
    async with contextlib.AsyncExitStack() as stack:
        for announcer in announcers:
            await stack.enter_async_context(announcer)
        yield list(announcers)


def broadcaster(version: str, scanner: Scanner, **fields: Any) -> Announcer:
    """An Announcer sending to the scanner's port for this version's broadcasts."""
    plain, encrypted = scanner.broadcast_addresses
    port_role = get_protocol(version).broadcast.port
    target = plain if port_role == discovery.BROADCAST_PORTS[0] else encrypted
    return Announcer(version, info(**fields), target=target, interval=QUICK, host=LOCAL)


async def test_devices_of_each_version_are_found_once() -> None:
    async with Scanner(local_options(reply_port=None)) as scanner:
        announcers = [
            broadcaster("3.1", scanner, dev_id="dev31", ip="192.168.5.31"),
            broadcaster("3.3", scanner, dev_id="dev33", ip="192.168.5.33"),
            broadcaster("3.4", scanner, dev_id="dev34"),  # no ip: the source address counts
            broadcaster("3.5", scanner, dev_id="dev35", ip="192.168.5.35"),
        ]
        async with announcing(*announcers):
            found = [device async for device in scanner.scan(timeout=0.8)]
    by_id = {device.id: device for device in found}
    assert len(found) == len(by_id) == 4
    assert {(d.id, d.ip, d.version) for d in found} == {
        ("dev31", "192.168.5.31", "3.1"),
        ("dev33", "192.168.5.33", "3.3"),
        ("dev34", LOCAL, "3.4"),
        ("dev35", "192.168.5.35", "3.5"),
    }
    assert by_id["dev33"].product_key == "pk-dev33"
    assert all(announcer.sent >= 2 for announcer in announcers)  # repeats were de-duplicated
    assert scanner.state.undecodable == 0


async def test_silent_35_device_answers_the_request() -> None:
    silent = Announcer(
        "3.5", info("quiet35", ip=LOCAL), interval=None, answer_on=(LOCAL, 0), host=LOCAL
    )
    async with silent:
        assert silent.address is not None
        # reply_ip None: the request carries the local address facing 127.0.0.1
        options = local_options(request_port=silent.address[1], reply_ip=None)
        async with Scanner(options) as scanner:
            assert scanner.reply_address is not None
            silent.reply_port = scanner.reply_address[1]
            started = time.monotonic()
            found = [d async for d in scanner.scan(timeout=30.0, wanted_id="quiet35")]
    assert [(d.id, d.ip, d.version) for d in found] == [("quiet35", LOCAL, "3.5")]
    assert time.monotonic() - started < 15.0  # found, not the scan's end
    assert silent.answered >= 1
    assert silent.sent == 0


async def test_no_request_means_the_silent_device_stays_unseen() -> None:
    silent = Announcer("3.5", info("quiet"), interval=None, answer_on=(LOCAL, 0), host=LOCAL)
    async with silent:
        assert silent.address is not None
        options = local_options(request_port=silent.address[1], request_address=None)
        found = [d async for d in Scanner(options).scan(timeout=0.3)]
    assert found == []
    assert silent.answered == 0


async def test_garbage_and_app_requests_are_counted_and_skipped() -> None:
    garbage = [b"hello", b"{}", b"\x00\x00\x55\xaa" + bytes(40), b"\x00\x00\x66\x99" + bytes(60)]
    corrupted = bytearray(get_protocol("3.3").encode_broadcast(info("x")))
    corrupted[-10] ^= 1
    garbage.append(bytes(corrupted))
    app_request = encode_discovery_request(ip="10.9.9.9", iv=bytes(12))
    async with Scanner(local_options(request_address=None)) as scanner:
        target = scanner.broadcast_addresses[1]
        async with await open_datagram_listener(LOCAL, 0) as sender:
            for datagram in [*garbage, app_request]:
                sender.send_to(datagram, target)
            sender.send_to(get_protocol("3.3").encode_broadcast(info("good")), target)
            found = [d async for d in scanner.scan(timeout=0.5)]
    assert [d.id for d in found] == ["good"]
    assert scanner.state.undecodable == len(garbage)
    assert scanner.state.ignored == 1


async def test_wanted_id_stops_the_scan_early() -> None:
    async with Scanner(local_options(reply_port=None)) as scanner:
        others = [broadcaster("3.3", scanner, dev_id=f"other{i}") for i in range(3)]
        wanted = broadcaster("3.4", scanner, dev_id="wanted")
        async with announcing(*others, wanted):
            started = time.monotonic()
            found = [d async for d in scanner.scan(timeout=30.0, wanted_id="wanted")]
    assert time.monotonic() - started < 15.0  # found, not the scan's end
    assert found[-1].id == "wanted"
    assert len({d.id for d in found}) == len(found)


async def test_discover_iter_binds_and_closes_by_itself() -> None:
    port = free_udp_port()
    options = local_options(broadcast_ports=(port,), reply_port=None)
    announcer = Announcer("3.3", info("iter33"), target=(LOCAL, port), interval=QUICK, host=LOCAL)
    async with announcer:
        found = [d async for d in tuyaface.discover_iter(10.0, wanted_id="iter33", options=options)]
    assert [d.id for d in found] == ["iter33"]
    # the port was released: a listener without port sharing can bind it again
    async with await open_datagram_listener(LOCAL, port, reuse_port=False):
        pass


def test_blocking_discover_finds_a_device() -> None:
    port = free_udp_port()
    announcer = Announcer("3.1", info("block31"), target=(LOCAL, port), interval=QUICK, host=LOCAL)
    with running_in_thread(announcer):
        options = local_options(broadcast_ports=(port,), reply_port=None)
        found = tuyaface.discover(10.0, wanted_id="block31", options=options)
    assert [(d.id, d.version, d.ip) for d in found] == [("block31", "3.1", LOCAL)]


def test_blocking_discover_returns_empty_after_the_timeout() -> None:
    options = local_options(broadcast_ports=(0,), reply_port=None)
    started = time.monotonic()
    assert tuyaface.discover(0.2, options=options) == []
    assert 0.15 < time.monotonic() - started < 0.2 + 5.0


async def test_blocking_discover_refuses_to_run_inside_a_loop() -> None:
    with pytest.raises(LocalProtocolError, match="discover_iter"):
        tuyaface.discover(0.1, options=local_options())


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="no SO_REUSEPORT here")
async def test_two_scanners_share_their_ports() -> None:
    async with Scanner(local_options()) as first:
        ports = tuple(port for _, port in first.broadcast_addresses)
        assert first.reply_address is not None
        shared = local_options(broadcast_ports=ports, reply_port=first.reply_address[1])
        async with Scanner(shared) as second:
            assert second.broadcast_addresses == first.broadcast_addresses
            assert second.reply_address == first.reply_address


async def test_a_port_that_cannot_be_bound_is_a_network_error() -> None:
    with pytest.raises(NetworkError, match="another port"):
        await Scanner(local_options(host="192.0.2.254")).open()


async def test_announcer_ignores_what_is_not_a_request() -> None:
    device = Announcer("3.5", info("d"), interval=None, answer_on=(LOCAL, 0), host=LOCAL)
    async with device, await open_datagram_listener(LOCAL, 0) as sender:
        assert device.address is not None
        reply = get_protocol("3.5").encode_broadcast(info("other"), iv=bytes(12))
        # the codec refuses to encode a request naming a host, so build one by hand
        by_name = get_protocol("3.5").encode_broadcast(
            {"from": "app", "ip": "host.example"}, iv=bytes(12)
        )
        for datagram in [b"junk", reply, by_name]:
            sender.send_to(datagram, device.address)
        sender.send_to(encode_discovery_request(ip=LOCAL, iv=bytes(12)), device.address)
        device.reply_port = sender.address[1]
        answer, _ = await sender.receive(2.0)
    found = discovery.ScanState().feed(answer, (LOCAL, 1))
    assert found is not None
    assert (found.id, found.ip, found.version, found.product_key) == ("d", LOCAL, "3.5", "pk-d")
    assert device.answered == 1


async def test_announcer_refuses_info_that_is_not_json() -> None:
    with pytest.raises(PayloadError):
        await Announcer("3.3", {"gwId": "x", "bad": {1, 2}}, host=LOCAL).open()


def test_announcer_datagrams_decode_with_the_protocol_version() -> None:
    for tag in ("3.1", "3.2", "3.3", "3.4", "3.5"):
        announcer = Announcer(tag, info("v"))
        assert announcer.broadcast_target == ("255.255.255.255", get_protocol(tag).broadcast.port)
        device = discovery.ScanState().feed(announcer.datagram(), ("10.0.0.1", 1))
        assert device is not None and device.version == tag


def test_the_local_example_in_the_docs_runs(capsys: pytest.CaptureFixture[str]) -> None:
    text = README.read_text()
    text = text[text.index("## Discovery") :]
    text = text[: text.index("\n## ")]
    blocks = [b.split("```")[0] for b in text.split("```python\n")[1:]]
    (example,) = [b for b in blocks if "ScanOptions.local(" in b]
    exec(compile(example, str(README), "exec"), {"__name__": "docs_example"})
    printed = capsys.readouterr().out.splitlines()
    assert sorted(printed) == [f"dev31 3.1 {LOCAL}", f"dev34 3.4 {LOCAL}"]


# helpers


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOCAL, 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def running_in_thread(announcer: Announcer) -> Iterator[None]:
    """Run `announcer` on its own event loop in a thread (for the blocking API)."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop = asyncio.Event()

    async def serve() -> None:
        async with announcer:
            started.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert started.wait(5.0)
    try:
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(5.0)
        loop.close()
