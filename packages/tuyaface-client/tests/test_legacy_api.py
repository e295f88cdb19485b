"""The tuyaface 1.x functions: status / set_status / set_state on a device dict."""

from __future__ import annotations

import pytest
from legacykit import legacy_dict, open_dict, unreachable_dict
from simkit import DEV_ID, KEY, QUICK, VERSIONS, WRONG_KEY, simulator

import tuyaface
from tuyaface import (
    ConnectError,
    DecryptError,
    Device,
    HandshakeError,
    NetworkError,
    Timeout,
    TuyaError,
    UnknownProtocolError,
)
from tuyaface_codec import Command, LocalProtocolError, get_protocol


def test_status_set_state_set_status(version: str, transport: str) -> None:
    with simulator(version, transport, dps={"1": True, "2": 7}) as sim, open_dict(sim) as device:
        data = tuyaface.status(device)
        assert data == {"devId": DEV_ID, "dps": {"1": True, "2": 7}}
        assert data["dps"]["1"] is True

        assert tuyaface.set_state(device, False) is True
        assert sim.device.dps["1"] is False
        assert tuyaface.set_status(device, {2: 9, "1": True}) is True
        assert sim.device.dps == {"1": True, "2": 9}
        assert tuyaface.set_state(device, 11, idx=2) is True

        again = tuyaface.status(device)
        assert again["dps"] == {"1": True, "2": 11}
        book = device["tuyaface"]
        assert book["status"] == again
        assert book["sequence_nr"] == 5
        assert book["availability"] is True
        prefers_device22 = get_protocol(version).prefers_device22  # 3.2 always uses it
        assert book["pref_status_cmd"] == (13 if prefers_device22 else 10)
        assert isinstance(book["connection"], Device)
        assert sim.device.connections == 1  # every call shared one connection


def test_a_new_dict_gets_its_bookkeeping() -> None:
    with simulator("3.3", dps={"1": False}) as sim, open_dict(sim) as device:
        assert "tuyaface" not in device
        tuyaface.set_state(device, True)
        assert device["tuyaface"]["sequence_nr"] == 1
        assert device["tuyaface"]["status"] is None  # no status asked yet
        assert device["tuyaface"]["availability"] is True


def test_device22_fallback_is_remembered(transport: str) -> None:
    with (
        simulator("3.3", transport, device22=True, dps={"1": True}) as sim,
        open_dict(sim) as device,
    ):
        assert tuyaface.status(device)["dps"] == {"1": True}
        book = device["tuyaface"]
        assert book["pref_status_cmd"] == 13
        asked = [frame.cmd for frame in sim.device.requests]
        assert asked == [Command.DP_QUERY, Command.CONTROL_NEW]

        # a later process: the dict (as saved) comes back without its connection
        book["connection"].close()
        book["connection"] = None
        sim.device.requests.clear()
        assert tuyaface.status(device)["dps"] == {"1": True}
        assert [frame.cmd for frame in sim.device.requests] == [Command.CONTROL_NEW]


def test_pref_status_cmd_13_in_the_dict_is_honoured() -> None:
    with (
        simulator("3.3", device22=True, dps={"1": True, "3": 4}) as sim,
        open_dict(sim, pref_status_cmd=13) as device,
    ):
        assert tuyaface.status(device)["dps"] == {"1": True, "3": 4}
        assert [frame.cmd for frame in sim.device.requests] == [Command.CONTROL_NEW]
        assert device["tuyaface"]["pref_status_cmd"] == 13


def test_setting_pref_status_cmd_back_to_10_asks_with_dp_query_again() -> None:
    with simulator("3.3", dps={"1": True}) as sim, open_dict(sim, pref_status_cmd=13) as device:
        tuyaface.status(device)
        device["tuyaface"]["pref_status_cmd"] = 10
        sim.device.requests.clear()
        tuyaface.status(device)
        assert [frame.cmd for frame in sim.device.requests] == [Command.DP_QUERY]
        assert device["tuyaface"]["pref_status_cmd"] == 10


# What a wrong local key looks like through the 1.x API (README: "Coming from tuyaface 1.x").
WRONG_KEY_ERRORS = {
    "3.1": (Timeout, "no answer"),  # status is plaintext on 3.1; a set goes unanswered
    "3.2": (DecryptError, "wrong local key"),
    "3.3": (DecryptError, "wrong local key"),
    "3.4": (HandshakeError, "wrong local key"),
    "3.5": (HandshakeError, "wrong local key"),
}


@pytest.mark.parametrize("version", VERSIONS)
def test_wrong_key_raises_and_marks_unavailable(version: str) -> None:
    error, match = WRONG_KEY_ERRORS[version]
    with (
        simulator(version, "tcp", dps={"1": True}) as sim,
        open_dict(sim, localkey=WRONG_KEY, timeout=QUICK) as device,
    ):
        with pytest.raises(error, match=match):
            tuyaface.set_state(device, False)
        assert device["tuyaface"]["availability"] is False
        assert sim.device.dps == {"1": True}
        assert WRONG_KEY not in repr(device["tuyaface"])  # no key material in reprs

        device["localkey"] = KEY  # fixed: the next call uses a new connection
        assert tuyaface.set_state(device, False)
        assert tuyaface.status(device)["dps"] == {"1": False}
        assert device["tuyaface"]["availability"] is True


def test_network_failure_raises_connect_error_and_marks_unavailable() -> None:
    device = unreachable_dict()
    with pytest.raises(ConnectError, match="check the IP address"):
        tuyaface.status(device)
    assert device["tuyaface"]["availability"] is False
    assert isinstance(ConnectError("x"), OSError)  # 1.x callers catching OSError still do


def test_device_gone_after_a_good_call() -> None:
    with simulator("3.4", "tcp", dps={"1": True}) as sim, open_dict(sim, timeout=QUICK) as device:
        tuyaface.status(device)
        assert device["tuyaface"]["availability"] is True
        sim.stop()
        with pytest.raises(NetworkError):
            tuyaface.status(device)
        assert device["tuyaface"]["availability"] is False


def test_a_changed_dict_gets_a_new_connection() -> None:
    with simulator("3.3", dps={"1": True}) as sim, open_dict(sim) as device:
        tuyaface.status(device)
        first = device["tuyaface"]["connection"]
        tuyaface.status(device)
        assert device["tuyaface"]["connection"] is first
        device["timeout"] = 2.0
        tuyaface.status(device)
        assert device["tuyaface"]["connection"] is not first
        assert sim.device.connections == 2


@pytest.mark.parametrize("version", ["3.4", "3.5"])
def test_versions_1x_never_had(version: str) -> None:
    with simulator(version, "tcp", dps={"1": True}) as sim, open_dict(sim) as device:
        assert tuyaface.set_state(device, False)
        assert tuyaface.status(device)["dps"] == {"1": False}


def test_protocol_written_as_a_float_is_accepted() -> None:
    with simulator("3.3", "tcp", dps={"1": True}) as sim, open_dict(sim, protocol=3.3) as device:
        assert tuyaface.status(device)["dps"] == {"1": True}


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"localkey": None}, LocalProtocolError, "needs 'localkey'"),
        ({"ip": ""}, LocalProtocolError, "needs 'ip'"),
        ({"localkey": "short"}, LocalProtocolError, "16 characters"),
        ({"port": "sixty"}, LocalProtocolError, "'port' must be a number"),
        ({"pref_status_cmd": 11}, LocalProtocolError, "pref_status_cmd is 10"),
        ({"protocol": "9.7"}, UnknownProtocolError, "9.7"),
    ],
)
def test_bad_dicts_say_what_to_fix(change: dict[str, object], error: type, match: str) -> None:
    with simulator("3.3") as sim:
        device = legacy_dict(sim, **change)
        with pytest.raises(error, match=match):
            tuyaface.status(device)
        assert sim.device.connections == 0
        assert issubclass(error, TuyaError)
