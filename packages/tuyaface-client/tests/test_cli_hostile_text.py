"""Text a device (or anyone on the LAN) controls reaches the terminal escaped, and never
stops a command (issue 10, items 8 and 9): lone surrogates, odd DP ids, terminal escapes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from simkit import wait_until
from test_cli_device import acting, json_lines, run, selecting, tcp_simulator
from test_cli_scan import LOCAL, announcing, free_udp_port, ports, scan

from tuyaface import Announcer

TITLE = "\x1b]0;pwned\x07"  # sets the terminal window's title
CLEAR = "\x1b[2J"  # clears the screen
RAW = ("\x1b", "\x07", "\x9b", "\x7f", "\u202e", "\ud800")  # none may reach the terminal

HOSTILE_DPS: dict[str, Any] = {
    "1": True,
    "2": "\ud800",  # a JSON lone surrogate: printing it raw raises UnicodeEncodeError
    "\u00b2": 3,  # "²".isdigit(), but int("²") fails
    "9" * 5000: 4,  # int() refuses more than 4300 digits
    TITLE: CLEAR,
    "5": "del\x7f c1\x9b bidi\u202e end",
}
PUSHED = {f"{TITLE}!": "\ud800", "6": CLEAR}


def assert_escaped(text: str) -> None:
    for char in RAW:
        assert char not in text, f"{char!r} printed raw"


@pytest.mark.parametrize("as_json", [False, True], ids=["plain", "json"])
def test_status_with_hostile_dps(as_json: bool) -> None:
    with tcp_simulator("3.3", dps=HOSTILE_DPS) as sim:
        result = run("status", *selecting(sim), *(["--json"] if as_json else []))
    assert result.exit_code == 0, result.output
    assert_escaped(result.stdout)
    if as_json:
        assert json.loads(result.stdout)["dps"] == HOSTILE_DPS  # escaped, not altered
        return
    lines = result.stdout.splitlines()
    rows = [line.split(maxsplit=1) for line in lines[2:]]
    assert [dp for dp, _ in rows[:2]] == ["1", "2"]  # numeric ids still in numeric order
    assert ["2", '"\\ud800"'] in rows
    assert ["\\x1b]0;pwned\\x07", '"\\u001b[2J"'] in rows
    assert ["5", '"del\\u007f c1\\u009b bidi\\u202e end"'] in rows
    assert ["9" * 5000, "4"] in rows and ["\u00b2", "3"] in rows


@pytest.mark.parametrize("as_json", [False, True], ids=["plain", "json"])
def test_monitor_with_hostile_dps(as_json: bool) -> None:
    options = ["--count", "1", *(["--json"] if as_json else [])]
    with (
        tcp_simulator("3.4", dps=HOSTILE_DPS) as sim,
        acting(lambda: wait_until(lambda: sim.push(PUSHED), "a client to push to")),
    ):
        result = run("monitor", *selecting(sim), *options)
    assert result.exit_code == 0, result.output
    assert_escaped(result.stdout)
    if as_json:
        events = json_lines(result)
        assert [e["event"] for e in events] == ["connected", "status", "push"]
        assert events[1]["dps"].items() >= HOSTILE_DPS.items()  # the push may come first
        assert events[2]["dps"] == PUSHED
        return
    last = result.stdout.splitlines()[-1]
    assert last.split(" ", 1)[1] == 'push {"\\u001b]0;pwned\\u0007!": "\\ud800", "6": "\\u001b[2J"}'


FORGED = {
    "gwId": f"evil{TITLE}{CLEAR}\ud800\u202e\x9b",
    "ip": LOCAL,
    "productKey": f"{CLEAR}\ud800",
    "version": f"3.3{TITLE}",
}


@pytest.mark.parametrize("as_json", [False, True], ids=["plain", "json"])
def test_scan_lists_good_devices_next_to_a_forged_broadcast(as_json: bool) -> None:
    plain, encrypted = free_udp_port(), free_udp_port()
    forger = Announcer("3.3", FORGED, target=(LOCAL, encrypted), interval=0.05, host=LOCAL)
    with (
        announcing("dev33", "3.3", target=(LOCAL, encrypted)) as (sim, _),
        announcing("dev31", "3.1", target=(LOCAL, plain)),
    ):
        sim.call(forger.open())
        try:
            options = ["--count", "3", "--timeout", "5", *(["--json"] if as_json else [])]
            result = scan(*ports(plain, encrypted, 0, 9), "--no-request", *options)
        finally:
            sim.call(forger.aclose())
    assert result.exit_code == 0, result.output
    assert_escaped(result.stdout)
    assert_escaped(result.stderr)
    if as_json:
        found = {d["id"]: d for d in json.loads(result.stdout)}
        assert set(found) == {"dev33", "dev31", FORGED["gwId"]}
        assert found[FORGED["gwId"]]["product_key"] == FORGED["productKey"]
        return
    ids = [line.split()[0] for line in result.stdout.splitlines()[1:]]
    forged = "evil\\x1b]0;pwned\\x07\\x1b[2J\\ud800\\u202e\\x9b"
    assert sorted(ids) == sorted(["dev33", "dev31", forged])


@pytest.mark.parametrize("as_json", [False, True], ids=["plain", "json"])
def test_a_hostile_device_error_text_is_escaped_too(as_json: bool) -> None:
    """An error text with control characters is no text a real device sends: it reads as a
    wrong key or version (exit 5, docs/protocol.md §9.4), and nothing raw reaches the terminal."""
    refusal = f"no{TITLE}{CLEAR}\u202e\x9b"
    with tcp_simulator("3.3", error_text=refusal) as sim:
        result = run("status", *selecting(sim), *(["--json"] if as_json else []))
    assert result.exit_code == 5, result.output
    assert_escaped(result.stdout)
    assert_escaped(result.stderr)
    assert "wrong local key or protocol version" in (result.stdout + result.stderr)
    if as_json:
        assert "wrong local key" in json.loads(result.stdout)["error"]["message"]
