"""Issue 10, item 14: a wrong protocol version or a wedged device ends with the exit code
and the hint that name the likely cause (`tuyaface status` in process, TCP simulators)."""

from __future__ import annotations

import pytest
from test_cli_device import run, selecting, tcp_simulator


@pytest.mark.parametrize(("device", "client"), [("3.3", "3.1"), ("3.2", "3.1")])
def test_an_older_version_than_the_device_is_a_wrong_key_or_version(
    device: str, client: str
) -> None:
    with tcp_simulator(device, dps={"1": True}) as sim:
        result = run("status", *selecting(sim, **{"--version": client}))
    assert result.exit_code == 5, result.stderr
    assert "wrong local key or protocol version" in result.stderr
    assert "check the DP ids" not in result.stderr


@pytest.mark.parametrize("device", ["3.4", "3.5"])
def test_a_33_client_against_a_34_35_device_gets_the_version_hint(device: str) -> None:
    with tcp_simulator(device, dps={"1": True}) as sim:
        result = run("status", *selecting(sim, **{"--version": "3.3", "--timeout": "0.5"}))
    assert result.exit_code == 3, result.stderr
    assert "no answer" in result.stderr
    assert "check the protocol version" in result.stderr
    assert "3.4 / 3.5" in result.stderr


def test_a_wedged_device_gets_the_hint_too() -> None:
    with tcp_simulator("3.3", dps={"1": True}, answering=False) as sim:
        result = run("status", *selecting(sim, **{"--timeout": "0.5"}))
    assert result.exit_code == 3, result.stderr
    assert "no answer" in result.stderr
    assert "no other client holds the device" in result.stderr
