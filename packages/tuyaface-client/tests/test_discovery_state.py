"""The sans-IO part of discovery: decoding, de-duplication, counting (no sockets)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuyaface.discovery import DiscoveredDevice, ScanOptions, ScanState, device_from_info
from tuyaface_codec import encode_discovery_request, get_protocol

SOURCE = ("10.0.0.9", 6667)
VECTORS = Path(__file__).resolve().parents[2] / "tuyaface-codec" / "tests" / "data" / "vectors"


def announcement(tag: str, **info: Any) -> bytes:
    protocol = get_protocol(tag)
    size = protocol.broadcast.layout.iv_size
    return protocol.encode_broadcast(info, iv=os.urandom(size) if size else None)


@pytest.mark.parametrize("version", ["3.1", "3.2", "3.3", "3.4", "3.5"])
def test_each_version_is_reported_with_its_fields(version: str) -> None:
    state = ScanState()
    datagram = announcement(
        version, ip="192.168.1.7", gwId=f"dev{version}", productKey="pk", version=version
    )
    device = state.feed(datagram, SOURCE)
    assert device == DiscoveredDevice(
        id=f"dev{version}", ip="192.168.1.7", version=version, product_key="pk",
        raw={"ip": "192.168.1.7", "gwId": f"dev{version}", "productKey": "pk", "version": version},
    )
    assert state.devices == [device]


def test_a_device_is_reported_once_across_forms() -> None:
    state = ScanState()
    first = state.feed(announcement("3.5", gwId="a", version="3.5"), SOURCE)
    again = state.feed(announcement("3.5", gwId="a", version="3.5"), ("10.0.0.10", 7000))
    assert first is not None and first.ip == "10.0.0.9"
    assert again is None
    assert len(state.devices) == 1


def test_ip_falls_back_to_the_source_when_missing_or_bad() -> None:
    assert device_from_info({"gwId": "a"}, "10.1.1.1").ip == "10.1.1.1"  # type: ignore[union-attr]
    assert device_from_info({"gwId": "a", "ip": "nonsense"}, "10.1.1.1").ip == "10.1.1.1"  # type: ignore[union-attr]
    assert device_from_info({"gwId": "a", "ip": 7}, "10.1.1.1").ip == "10.1.1.1"  # type: ignore[union-attr]


def test_both_spellings_of_ability_are_read() -> None:
    misspelt = device_from_info({"gwId": "a", "ablilty": 3, "active": 2}, "1.1.1.1")
    spelt = device_from_info({"gwId": "a", "ability": 1}, "1.1.1.1")
    assert misspelt is not None and misspelt.ability == 3 and misspelt.active == 2
    assert spelt is not None and spelt.ability == 1 and spelt.active is None


def test_missing_fields_are_none_and_numbers_become_tags() -> None:
    device = device_from_info({"gwId": "a", "version": 3.3}, "1.1.1.1")
    assert device is not None
    assert (device.version, device.product_key) == ("3.3", None)
    assert device.as_dict()["version"] == "3.3"


def test_app_requests_and_anonymous_announcements_are_ignored() -> None:
    state = ScanState()
    assert state.feed(encode_discovery_request(ip="10.0.0.2", iv=bytes(12)), SOURCE) is None
    assert state.feed(announcement("3.3", ip="10.0.0.3"), SOURCE) is None
    assert (state.ignored, state.undecodable, state.devices) == (2, 0, [])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_is_counted_never_raised(data: bytes) -> None:
    state = ScanState()
    assert state.feed(data, SOURCE) is None
    assert state.undecodable + state.ignored == 1


def test_a_corrupted_announcement_is_undecodable() -> None:
    datagram = bytearray(announcement("3.5", gwId="a"))
    datagram[30] ^= 0xFF
    state = ScanState()
    assert state.feed(bytes(datagram), SOURCE) is None
    assert state.undecodable == 1


def test_wanted_id_marks_the_scan_done() -> None:
    state = ScanState(wanted_id="b")
    state.feed(announcement("3.3", gwId="a"), SOURCE)
    assert not state.done
    state.feed(announcement("3.3", gwId="b"), SOURCE)
    assert state.done


def test_devices_are_hashable_values() -> None:
    device = device_from_info({"gwId": "a", "ip": "1.2.3.4"}, "1.1.1.1")
    assert device is not None
    assert {device, device} == {device}
    assert "raw" not in repr(device)


def test_options_reject_a_silly_interval() -> None:
    with pytest.raises(ValueError, match="request_interval"):
        ScanOptions(request_interval=0)
    with pytest.raises(ValueError, match="reply_ip"):
        ScanOptions(reply_ip="my-laptop")
    with pytest.raises(ValueError, match="request_address"):
        ScanOptions(request_address="lan.example")
    assert ScanOptions(request_address=None).sends_requests is False
    assert ScanOptions.local(request_port=9).request_port == 9


def test_udp_vectors_decode_as_their_version() -> None:
    vectors = json.loads((VECTORS / "udp.json").read_text())["vectors"]
    assert len(vectors) >= 12  # an emptied file fails here instead of passing vacuously
    for vector in vectors:
        state = ScanState()
        device = state.feed(bytes.fromhex(vector["frame_hex"]), SOURCE)
        info = json.loads(vector["payload_json"])
        if vector["direction"] == "client_broadcast":
            assert device is None and state.ignored == 1, vector["name"]
        else:
            assert device is not None, vector["name"]
            assert (device.id, device.ip, device.version) == (
                info["gwId"], info["ip"], vector["version"]
            ), vector["name"]
