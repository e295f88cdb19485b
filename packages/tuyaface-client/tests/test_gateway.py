"""Gateways end to end: `AsyncGateway` and `Gateway` against `SimulatedGateway`, over
loopback and TCP on 127.0.0.1, on 3.3, 3.4 and 3.5 (docs/protocol.md §10a)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import random
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from legacykit import legacy_dict
from reliabilitykit import Bench, RecordingSleep, run
from simkit import KEY, PATIENCE, TRANSPORTS, until

import tuyaface
from tuyaface import Connected, DeviceBusyError, Disconnected, StatusPush, Timeout
from tuyaface._core import DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_TIMEOUT
from tuyaface._legacy import close_connection
from tuyaface.cli import main
from tuyaface.events import ChildOffline, ChildOnline
from tuyaface.gateway import AsyncGateway, Gateway, SimulatedGateway
from tuyaface.tuyaclient import TuyaClient
from tuyaface_codec import LocalProtocolError

GW_ID = "bf0123456789abcdefghij"
VERSIONS = ("3.3", "3.4", "3.5")
REPORTING = ("3.4", "3.5")
CIDS = [f"a4c138{n:010x}" for n in range(50)]


def gateway_sim(version: str, **knobs: Any) -> SimulatedGateway:
    """50 children; each one's DP 101 holds its own cid, so a misrouted value shows."""
    knobs.setdefault("children", {cid: {"1": False, "101": cid} for cid in CIDS})
    knobs.setdefault("idle_timeout", None)
    return SimulatedGateway(GW_ID, KEY, version=version, **knobs)


@contextlib.asynccontextmanager
async def serving(
    version: str, transport: str, **knobs: Any
) -> AsyncIterator[tuple[SimulatedGateway, AsyncGateway]]:
    """A simulated gateway and an AsyncGateway connected to it."""
    sim = gateway_sim(version, **knobs)
    async with sim.serve(transport="loopback" if transport == "loopback" else "asyncio") as srv:
        gateway = AsyncGateway(
            GW_ID, KEY, srv.host, port=srv.port, version=version, transport=srv.transport
        )
        async with gateway:
            yield sim, gateway


async def pushes_of(stream: Any, count: int) -> list[Any]:
    events: list[Any] = []
    async with asyncio.timeout(PATIENCE):
        async for event in stream:
            if isinstance(event, StatusPush):
                events.append(event)
                if len(events) == count:
                    break
    return events


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("version", VERSIONS)
async def test_50_children_share_one_connection_with_concurrent_tasks(
    version: str, transport: str
) -> None:
    """Every child answered for itself from many tasks at once; each child's pushes reach
    its own handle only; the gateway's stream sees them all, with their cids."""
    async with serving(version, transport) as (sim, gateway):
        streams = {cid: gateway.child(cid).events() for cid in CIDS[:5]}
        everything = gateway.events()

        async def work(cid: str) -> None:
            child = gateway.child(cid)
            status = await child.status()
            assert status["101"] == cid
            assert status.cached
            await child.set_state(True)

        await asyncio.gather(*(work(cid) for cid in CIDS))
        assert sim.connections == 1
        assert all(sim.children[cid]["1"] is True for cid in CIDS)
        for cid, stream in streams.items():
            (push,) = await pushes_of(stream, 1)
            assert push.cid == cid
            assert push.dps == {"1": True}
        seen = await pushes_of(everything, len(CIDS))
        assert {push.cid for push in seen} == set(CIDS)
        await until(lambda: gateway.child(CIDS[-1]).dps.get("1") is True, "push cached")
        assert not gateway.child(CIDS[-1]).cached  # a push measured it
        assert gateway.child(CIDS[0]).dps == {"1": True, "101": CIDS[0]}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("version", VERSIONS)
async def test_pushes_from_every_child_interleave_with_answers(
    version: str, transport: str
) -> None:
    async with serving(version, transport) as (sim, gateway):
        stream = gateway.child(CIDS[7]).events()
        rng = random.Random(7)

        async def chatter() -> None:
            for n in range(200):
                await sim.push_child(rng.choice(CIDS), {"2": n})

        noise = asyncio.get_running_loop().create_task(chatter())
        for cid in CIDS:
            assert (await gateway.child(cid).status())["101"] == cid
        await noise
        await sim.push_child(CIDS[7], {"2": "last"})
        async with asyncio.timeout(PATIENCE):
            async for event in stream:
                assert isinstance(event, StatusPush | ChildOnline)
                assert event.cid == CIDS[7]
                if isinstance(event, StatusPush) and event.dps == {"2": "last"}:
                    break


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("version", VERSIONS)
async def test_the_gateway_itself_and_a_list_form_refresh(version: str, transport: str) -> None:
    async with serving(version, transport, dps={"1": "gw"}) as (sim, gateway):
        assert await gateway.status() == {"1": "gw"}
        assert gateway.dps == {"1": "gw"}
        child = gateway.child(CIDS[3])
        stream = child.events()
        assert (await child.status()).cached
        sim.children[CIDS[3]]["1"] = "measured"
        await child.refresh([1])
        (push,) = await pushes_of(stream, 1)
        assert push.dps == {"1": "measured"}
        assert not child.cached
        assert child.dps["1"] == "measured"
        assert gateway.dps == {"1": "gw"}  # a child's values are not the gateway's
        assert not gateway.device22


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_gateway_without_own_dps_is_not_switched_to_device22(version: str) -> None:
    async with serving(version, "loopback") as (_, gateway):
        with pytest.raises(Exception, match="data unvalid"):
            await gateway.status()
        assert not gateway.device22
        assert (await gateway.child(CIDS[0]).status())["101"] == CIDS[0]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("version", REPORTING)
async def test_presence_report_split_over_frames_and_unsolicited(
    version: str, transport: str
) -> None:
    async with serving(version, transport, offline={CIDS[0]}) as (sim, gateway):
        events = gateway.events()
        child_events = gateway.child(CIDS[1]).events()
        children = await gateway.query_children()
        assert len(children) == 50  # 3 frames of at most 20
        assert children[CIDS[0]].online is False
        assert all(children[cid].online for cid in CIDS[1:])
        assert children[CIDS[49]].last_seen is not None
        await sim.set_online(CIDS[1], False)  # an unsolicited report
        async with asyncio.timeout(PATIENCE):
            async for event in child_events:
                if isinstance(event, ChildOffline):
                    assert event.cid == CIDS[1]
                    break
        assert gateway.children[CIDS[1]].online is False
        assert gateway.children[CIDS[2]].online  # absent from that frame: unchanged
        await sim.set_online(CIDS[1], True)
        async with asyncio.timeout(PATIENCE):
            async for event in events:
                if isinstance(event, ChildOnline) and event.cid == CIDS[1]:
                    break


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_on_33_presence_comes_from_answers_and_pushes(transport: str) -> None:
    async with serving("3.3", transport) as (sim, gateway):
        assert await gateway.query_children() == {}  # nothing asked: 3.3 has no report
        await gateway.child(CIDS[0]).status()
        assert gateway.children[CIDS[0]].online
        await sim.push_child(CIDS[5], {"2": 1})
        await until(lambda: CIDS[5] in gateway.children, "a push shows the child")
        assert not any(frame.cmd == 64 for frame in sim.requests)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("version", VERSIONS)
def test_blocking_gateway_with_many_threads(version: str, transport: str) -> None:
    sim = gateway_sim(version)
    with sim.serve_in_thread(transport="loopback" if transport == "loopback" else "asyncio") as srv:
        gateway = Gateway(GW_ID, KEY, srv.host, port=srv.port, version=version,
                          transport=srv.transport)  # fmt: skip
        watched = gateway.child(CIDS[9])

        def work(cid: str) -> None:
            child = gateway.child(cid)
            assert child.status()["101"] == cid
            child.set_state(True)

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(work, CIDS))
        assert sim.connections == 1
        assert all(state["1"] is True for state in sim.children.values())
        push = watched.wait_for_push(PATIENCE)
        assert push is not None
        assert push.cid == CIDS[9]
        assert watched.dps["1"] is True
        if version in REPORTING:
            children = gateway.query_children()
            assert len(children) == 50
            assert all(state.online for state in children.values())
        gateway.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("version", VERSIONS)
def test_a_one_client_gateway_turns_a_second_gateway_object_away(
    version: str, transport: str
) -> None:
    sim = gateway_sim(version, max_connections=1)
    with sim.serve_in_thread(transport="loopback" if transport == "loopback" else "asyncio") as srv:
        options = {"port": srv.port, "version": version, "transport": srv.transport}
        first = Gateway(GW_ID, KEY, srv.host, **options)
        assert first.child(CIDS[0]).status()["101"] == CIDS[0]
        second = Gateway(GW_ID, KEY, srv.host, **options)
        started = time.monotonic()
        with pytest.raises(DeviceBusyError):
            second.child(CIDS[1]).status()
        assert time.monotonic() - started < DEFAULT_TIMEOUT / 2
        assert first.child(CIDS[1]).status()["101"] == CIDS[1]
        first.child(CIDS[1]).set_state(True)
        assert sim.refused >= 1
        first.close()
        second.close()


NOTICE_BOUND = 2 * DEFAULT_HEARTBEAT_INTERVAL + DEFAULT_TIMEOUT


@pytest.mark.parametrize("version", VERSIONS)
def test_a_gateway_power_loss_is_noticed_within_two_heartbeats_and_the_timeout(
    version: str,
) -> None:
    """Half-open: the gateway's writes vanish and the socket stays up (virtual clock)."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with Bench.serving(gateway_sim(version)) as bench:
            options = bench.options(sleep=RecordingSleep(), clock=loop.time)
            gateway = AsyncGateway(**options)
            events = gateway.events()
            assert isinstance(await anext(events), Connected)
            assert (await gateway.child(CIDS[2]).status())["101"] == CIDS[2]
            await asyncio.sleep(30.0)
            bench.taps[-1].black_hole = True
            silent_since = loop.time()
            async with asyncio.timeout(120):
                gone = await anext(events)
                while isinstance(gone, ChildOnline):  # the status above showed the child
                    gone = await anext(events)
            assert isinstance(gone, Disconnected)
            assert isinstance(gone.error, Timeout)
            assert loop.time() - silent_since <= NOTICE_BOUND
            assert isinstance(await anext(events), Connected)
            assert (await gateway.child(CIDS[2]).status())["101"] == CIDS[2]
            await gateway.aclose()

    run(main)


@pytest.mark.parametrize("version", VERSIONS)
def test_cli_simulate_gateway_with_children_from_options_and_a_file(
    version: str, tmp_path: Path
) -> None:
    children = tmp_path / "children.json"
    children.write_text(json.dumps({cid: {"101": cid} for cid in CIDS[2:52]}))
    command = [
        sys.executable, "-c", "from tuyaface.cli import main; main()",
        "simulate", "--gateway", "--version", version, "--id", GW_ID, "--key", KEY,
        "--child", f'{CIDS[0]}={{"1": true}}', "--child", CIDS[1], "--children", str(children),
        "--max-connections", "1", "--port", "0", "--json",
    ]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            listening = json.loads(process.stdout.readline())
            assert len(listening["children"]) == 50
            gateway = Gateway(GW_ID, KEY, listening["host"], port=listening["port"],
                              version=version)  # fmt: skip
            with gateway:
                assert gateway.child(CIDS[0]).status() == {"1": True}
                assert gateway.child(CIDS[1]).status() == {}
                assert gateway.child(CIDS[9]).status() == {"101": CIDS[9]}
                with pytest.raises(DeviceBusyError):
                    Gateway(GW_ID, KEY, listening["host"], port=listening["port"],
                            version=version).heartbeat()  # fmt: skip
        finally:
            process.kill()


def test_cli_simulate_children_need_gateway() -> None:
    result = CliRunner().invoke(main, ["simulate", "--child", "a4c1", "--port", "0"])
    assert result.exit_code == 2
    assert "--gateway" in result.output


def test_the_readme_gateway_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Gateways") :]
    example = section[section.index("```python\n") + 10 : section.index("\n```\n")]
    exec(compile(example, "README.md#gateways", "exec"), {"__name__": "readme_example"})
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "{'a4c138ad1d974d89': True, 'a4c1380f44e2b1c3': True}",
        "{'1': 232, '2': 569} True",
        "plug now {'1': True}",
    ]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("version", VERSIONS)
def test_1x_dicts_with_a_cid_share_one_gateway_connection(version: str, transport: str) -> None:
    """Two children's dicts on a gateway that takes one client: both work, on one
    connection; the reply names the child."""
    sim = gateway_sim(version, max_connections=1)
    with sim.serve_in_thread(transport="loopback" if transport == "loopback" else "tcp") as srv:
        dicts = [
            legacy_dict(srv, deviceid=GW_ID, cid=cid) for cid in (CIDS[0], CIDS[1])
        ]
        try:
            first, second = (tuyaface.status(device) for device in dicts)
            assert first == {"devId": GW_ID, "dps": {"1": False, "101": CIDS[0]}, "cid": CIDS[0]}
            assert second["cid"] == CIDS[1]
            assert second["dps"]["101"] == CIDS[1]
            assert tuyaface.set_state(dicts[1], True)
            assert sim.children[CIDS[1]]["1"] is True
            assert dicts[0]["tuyaface"]["availability"]
            assert sim.connections == 1
            assert sim.refused == 0
        finally:
            for device in dicts:
                close_connection(device)


def test_tuyaclient_refuses_a_childs_dict() -> None:
    device = {"protocol": "3.4", "deviceid": GW_ID, "localkey": KEY, "ip": "127.0.0.1",
              "cid": CIDS[0]}  # fmt: skip
    with pytest.raises(LocalProtocolError, match="AsyncGateway"):
        TuyaClient(device)


def test_a_gateway_takes_no_cid_and_a_child_needs_one() -> None:
    with pytest.raises(LocalProtocolError, match=r"gateway\.child"):
        Gateway(GW_ID, KEY, "127.0.0.1", version="3.4", cid=CIDS[0])
    with pytest.raises(LocalProtocolError, match="cid"):
        AsyncGateway(GW_ID, KEY, "127.0.0.1", version="3.4").child("")
