"""Typed devices end to end over TCP on 127.0.0.1 against the schema simulator, on 3.3,
3.4 and 3.5: asyncio (AsyncDevice) for every category, blocking (Device) too; invalid
values never reach the wire."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from simkit import DEV_ID, KEY, until, wait_until

from tuyaface import AsyncDevice, Device, SimulatedDevice
from tuyaface.model import (
    BUILTIN,
    Climate,
    Cover,
    DpSchema,
    DpSpec,
    DpType,
    DpValueError,
    Fan,
    Hsv,
    Light,
    Plug,
    SchemaBehaviour,
    Sensor,
    Switch,
    simulated_device,
)
from tuyaface_codec import Command

pytestmark = pytest.mark.parametrize("version", ["3.3", "3.4", "3.5"])


@contextlib.asynccontextmanager
async def over_tcp(
    version: str, category: str = "", schema: DpSchema | None = None, **options: Any
) -> AsyncIterator[tuple[SimulatedDevice, AsyncDevice]]:
    sim = simulated_device(DEV_ID, KEY, category=category, schema=schema, version=version,
                           **options)
    async with sim.serve("127.0.0.1", 0, transport="asyncio") as server:
        device = AsyncDevice(DEV_ID, KEY, server.host, port=server.port, version=version,
                             transport="asyncio")
        try:
            yield sim, device
        finally:
            await device.aclose()


@contextlib.contextmanager
def blocking(version: str, category: str, **options: Any) -> Iterator[tuple[Any, Device]]:
    sim = simulated_device(DEV_ID, KEY, category=category, version=version, **options)
    with sim.serve_in_thread("127.0.0.1", 0, transport="asyncio") as thread:
        device = Device(DEV_ID, KEY, thread.host, port=thread.port, version=version)
        try:
            yield thread, device
        finally:
            device.close()


def controls(sim: SimulatedDevice) -> int:
    return sum(f.cmd in (Command.CONTROL, Command.CONTROL_NEW) for f in sim.requests)


async def test_light_v2(version: str) -> None:
    async with over_tcp(version, "light") as (sim, device):
        light = Light(device)
        await light.turn_on()
        await light.set_brightness(50)
        assert sim.dps["20"] is True and sim.dps["22"] == 505
        assert await light.brightness() == 50.0
        await light.set_colour_hsv(120, 1, 0.5)
        assert (sim.dps["21"], sim.dps["24"]) == ("colour", "007803e801f4")
        assert await light.colour() == Hsv(120, 1.0, 0.5)
        await light.set_colour_temp(100)
        assert (sim.dps["21"], sim.dps["23"]) == ("white", 1000)
        await light.set_scene("000e0d0000000000000000c80000")
        assert await light.mode() == "scene"
        sent = controls(sim)
        for bad in (light.set_brightness(101), light.set_mode("disco")):
            with pytest.raises(DpValueError):
                await bad
        assert controls(sim) == sent  # nothing reached the device


async def test_light_v1_and_dimmer(version: str) -> None:
    async with over_tcp(version, "light-v1") as (sim, device):
        light = Light(device)
        await light.set_colour_rgb(255, 0, 0)
        assert sim.dps["5"] == "ff00000000ffff" and sim.dps["2"] == "colour"
        await light.set_brightness(100)
        assert sim.dps["3"] == 255
        assert light.schema is BUILTIN["dj-v1"]  # the layout, told by DP 5 in the status
    async with over_tcp(version, "dimmer") as (sim, device):
        light = Light(device)
        await light.set_brightness(0)
        assert sim.dps["2"] == 25
        await light.turn_off()
        assert await light.is_on() is False
        with pytest.raises(DpValueError, match="colour_data"):
            await light.set_colour_hsv(0, 1, 1)


async def test_switch_and_plug(version: str) -> None:
    async with over_tcp(version, "switch") as (sim, device):
        switch = Switch(device)
        await switch.turn_on(3)
        assert sim.dps["3"] is True and await switch.is_on(3) is True
        assert await switch.is_on(1) is False
    async with over_tcp(version, "plug", tick=0.05) as (sim, device):
        plug = Plug(device)
        await plug.turn_on()
        assert await plug.voltage() == pytest.approx(sim.dps["20"] / 10, abs=5)
        first = await plug.refresh_energy()
        assert set(first) == {"power_w", "current_a", "voltage_v", "energy_kwh"}
        assert 200 < first["voltage_v"] < 260 and first["current_a"] < 1
        await until(lambda: sim.dps["17"] > 12, "energy counted up")
        assert (await plug.energy()) > first["energy_kwh"]


async def test_cover(version: str) -> None:
    async with over_tcp(version, "cover", tick=0.02) as (sim, device):
        cover = Cover(device)
        await cover.set_position(30)
        await until(lambda: sim.dps["3"] == 30, "cover at 30 %")
        assert await cover.position() == 30
        await cover.open()
        assert sim.dps["1"] == "open"
        await until(lambda: sim.dps["3"] == 100, "cover open")
        await cover.stop()
        assert sim.dps["1"] == "stop"
        inverted = Cover(device, inverted=True)
        assert await inverted.position() == 0
        with pytest.raises(DpValueError):
            await cover.set_position(120)


async def test_cover_vocabularies(version: str) -> None:
    words = DpSchema([DpSpec(1, "control", DpType.ENUM, values=("ZZ", "FZ", "STOP")),
                      DpSpec(2, "percent_control", DpType.INTEGER, min=0, max=100),
                      DpSpec(5, "control_back_mode", DpType.ENUM, values=("forward", "back"))])
    async with over_tcp(version, schema=words, dps={"5": "back", "2": 20}) as (sim, device):
        cover = Cover(device, words)
        await cover.close()
        assert sim.dps["1"] == "FZ"
        await cover.stop()
        assert sim.dps["1"] == "STOP"
        assert await cover.position() == 80  # control_back_mode "back": inverted
        await cover.set_position(75)
        assert sim.dps["2"] == 25


async def test_climate_and_fan(version: str) -> None:
    async with over_tcp(version, "climate", tick=0.05) as (sim, device):
        climate = Climate(device)
        await climate.set_target_temperature(21.5)
        assert sim.dps["2"] == 215 and await climate.target_temperature() == 21.5
        assert 15 < await climate.current_temperature() < 26
        await climate.set_mode("eco")
        assert await climate.mode() == "eco"
        for bad in (21.25, 40):
            with pytest.raises(DpValueError):
                await climate.set_target_temperature(bad)
    async with over_tcp(version, "fan") as (sim, device):
        fan = Fan(device)
        await fan.turn_on()
        await fan.set_speed(60)
        await fan.set_oscillation(True)
        assert (sim.dps["1"], sim.dps["3"], sim.dps["5"]) == (True, 60, True)
        assert await fan.speed() == 60 and await fan.oscillating() is True


async def test_sensors(version: str) -> None:
    async with over_tcp(version, "sensor") as (_, device):
        sensor = Sensor(device)
        assert await sensor.temperature() == 21.5
        assert await sensor.humidity() == 45 and await sensor.battery() == 90
        assert await sensor.contact() is None
    async with over_tcp(version, "contact", dps={"1": True}) as (_, device):
        assert await Sensor(device, BUILTIN["mcs"]).contact() is True
    async with over_tcp(version, "motion", dps={"1": "pir"}) as (_, device):
        sensor = Sensor(device, BUILTIN["pir"])
        assert await sensor.motion() is True and await sensor.battery() == 90


def test_blocking_light_and_plug(version: str) -> None:
    with blocking(version, "light") as (thread, device):
        light = Light(device)
        light.set_brightness(50)
        assert light.brightness() == 50.0 and thread.device.dps["22"] == 505
        with pytest.raises(DpValueError):
            light.set_brightness(-1)
    with blocking(version, "plug") as (thread, device):
        plug = Plug(device)
        plug.turn_on(2)
        wait_until(lambda: thread.device.dps["2"] is True, "gang 2 on")
        assert plug.power() == 12.5


async def test_simulator_ignores_invalid_writes(version: str) -> None:
    async with over_tcp(version, "light") as (sim, device):
        # raw writes: no schema check on our side, the simulator's own
        await device.set_status({"22": 5000, "20": True, "99": 1, "24": "red", "21": 3})
        assert sim.dps["22"] == 10 and sim.dps["20"] is True and "99" not in sim.dps
        assert (sim.dps["24"], sim.dps["21"]) == ("000003e803e8", "white")
        assert isinstance(sim.behaviour, SchemaBehaviour)
        assert sim.behaviour.rejected == [("22", 5000), ("99", 1), ("24", "red"), ("21", 3)]
        await device.set_status({"24": 7})
        assert sim.behaviour.rejected[-1] == ("24", 7)
