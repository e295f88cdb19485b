"""`Bridge`: one MQTT connection (aiomqtt), every configured device kept connected.

Why aiomqtt: the devices are `AsyncDevice`s on one event loop, and aiomqtt is paho-mqtt
2.x driven by that same loop (no network thread, no locks between MQTT and the devices).
The session is persistent (MQTT 3.1.1 clean_session False, a stable client id): QoS 1
/set messages published while the bridge is away are kept by the broker and delivered
when it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import ssl
import time
from collections.abc import Callable
from typing import Any

import aiomqtt
import attrs

from tuyaface_codec.errors import DeviceError, TuyaError

from .._replies import is_device22_error
from ..backoff import Backoff
from ..events import (
    ChildOffline,
    ChildOnline,
    Connected,
    ConnectFailed,
    DeviceEvent,
    Disconnected,
    StatusPush,
)
from .config import BridgeConfig, DeviceConfig
from .devices import DeviceMaker
from .entities import BridgedDevice
from .errors import BridgeInputError
from .hass import CONNECTIVITY, discovery_configs
from .links import ChildLink, GatewayLink, Link
from .requests import REQUESTS
from .topics import Topics

__all__ = ["READER", "READ_ATTEMPTS", "Bridge", "DeviceFactory"]

log = logging.getLogger(__name__)

DeviceFactory = Callable[[DeviceConfig, BridgeConfig], BridgedDevice]
ONLINE = {"state": "online"}
OFFLINE = {"state": "offline"}
READ_ATTEMPTS = 5  # a device's status read after each connection: tries while it fails
READER = "status read of"  # the name of a reader task: READER and the device's name


class Bridge:
    """Run with `await bridge.run()`; `bridge.stop()` ends it cleanly (bridge offline).

    `backoff`: the delays between MQTT reconnections; `read_backoff`: between the attempts
    at a device's status read after each of its connections (a copy per read).
    """

    def __init__(
        self,
        config: BridgeConfig,
        *,
        make_device: DeviceFactory | None = None,
        backoff: Backoff | None = None,
        read_backoff: Backoff | None = None,
    ) -> None:
        self.config = config
        self.topics = Topics(config.base_topic, config.bridge_name)
        self.make_device: DeviceFactory = make_device or DeviceMaker()
        self.devices: dict[str, BridgedDevice] = {}
        self.started = time.monotonic()
        self.counters = {"commands": 0, "refused": 0, "mqtt_connections": 0}
        self._backoff = backoff or Backoff(initial=0.5, maximum=30.0)
        self._read_backoff = read_backoff or Backoff(initial=1.0, maximum=10.0)
        self._client: aiomqtt.Client | None = None
        self._online: dict[str, bool] = {}
        # name -> topic -> config digest (None: to publish again, after a reconnection)
        self._discovered: dict[str, dict[str, int | None]] = {}
        self._watchers: dict[str, asyncio.Task[None]] = {}
        self._jobs: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self.connected = asyncio.Event()  # set while the MQTT connection is up
        # made here: it reads the CA files, which must not happen on the event loop
        mqtt = config.mqtt
        self._tls = ssl.create_default_context(cafile=mqtt.ca_file) if mqtt.tls else None
        for device in config.owned_devices():
            self.devices[device.name] = self.make_device(device, config)

    # -- running ----------------------------------------------------------------------

    def stop(self) -> None:
        """End `run`: bridge offline (explicitly, so no last will), devices closed."""
        self._stopping.set()

    async def run(self) -> None:
        """Keep the MQTT connection (reconnect with backoff) until `stop()`."""
        for name in self.devices:
            self._watch(name)
        refresher = asyncio.create_task(self._refresh_energy())
        try:
            while not self._stopping.is_set():
                try:
                    await self._session()
                except aiomqtt.MqttError as exc:
                    self._lost(exc)
                    await self._pause(self._backoff.next_delay())
        finally:
            refresher.cancel()
            await self._close_devices()

    def _lost(self, exc: aiomqtt.MqttError) -> None:
        self._client = None
        self.connected.clear()
        log.warning("MQTT broker %s:%s: %s; reconnecting", self.config.mqtt.host,
                    self.config.mqtt.port, exc)

    async def _pause(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), delay)

    async def _session(self) -> None:
        async with self._mqtt_client() as client:
            self._client = client
            self._backoff.reset()
            self.counters["mqtt_connections"] += 1
            listener = asyncio.create_task(self._listen(client))
            stopping = asyncio.create_task(self._stopping.wait())
            try:
                await self._announce()
                self.connected.set()
                done, _ = await asyncio.wait(
                    {listener, stopping}, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                stopping.cancel()
                listener.cancel()
            if listener in done and not listener.cancelled():
                listener.result()  # raises the MqttError that ended it
                return
            for bridged in list(self.devices.values()):  # a clean stop: nothing is bridged
                await self._publish_for(bridged, self.topics.availability(bridged.config.name),
                                        OFFLINE)
            await client.publish(self.topics.bridge_state, json.dumps(OFFLINE), qos=1, retain=True)
        self._client = None
        self.connected.clear()

    def _mqtt_client(self) -> aiomqtt.Client:
        mqtt = self.config.mqtt
        return aiomqtt.Client(
            mqtt.host,
            mqtt.port,
            username=mqtt.username,
            password=mqtt.password,
            identifier=self.config.mqtt_client_id,
            clean_session=False,
            keepalive=mqtt.keepalive,
            tls_context=self._tls,
            will=aiomqtt.Will(self.topics.bridge_state, json.dumps(OFFLINE), qos=1, retain=True),
            max_inflight_messages=200,
            # small messages, sent at once: Nagle's algorithm held state messages up to 40 ms
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
        )

    async def _announce(self) -> None:
        """After each (re)connection: subscribe, then every retained message again. The
        listener runs meanwhile: a device may be removed or renamed during any await."""
        # every discovery topic published again, each still known: a device removed
        # before its turn has them cleared (the broker may have kept them)
        self._discovered = {name: dict.fromkeys(published)
                            for name, published in self._discovered.items()}
        client = self._require_client()
        await client.subscribe([(self.topics.requests, 1)])
        await self._subscribe_devices(list(self.devices))
        await self.publish(self.topics.bridge_state, ONLINE, retain=True)
        await self._publish_devices()
        for name in list(self.devices):
            await self._publish_device(name)

    async def _subscribe_devices(self, names: list[str]) -> None:
        client = self._require_client()
        for start in range(0, len(names), 100):
            batch = [name for name in names[start : start + 100] if name in self.devices]
            topics = [(self.topics.set(n), 1) for n in batch]
            topics += [(self.topics.get(n), 1) for n in batch]
            await client.subscribe(topics)

    def _require_client(self) -> aiomqtt.Client:
        if self._client is None:
            raise aiomqtt.MqttError("not connected to the broker")
        return self._client

    # -- publishing -------------------------------------------------------------------

    async def publish(self, topic: str, payload: Any, *, retain: bool = False) -> None:
        """Publish JSON (or b"" to clear a retained topic); skipped while disconnected (all
        retained topics are published again after the reconnection)."""
        client = self._client
        if client is None:
            return
        data = payload if isinstance(payload, bytes) else json.dumps(payload)
        try:
            await client.publish(topic, data, qos=1, retain=retain)
        except aiomqtt.MqttError as exc:
            log.debug("not published on %s: %s", topic, exc)

    async def _publish_devices(self) -> None:
        listed = [device.config.to_public() for device in self.devices.values()]
        await self.publish(self.topics.devices, listed, retain=True)

    async def _publish_device(self, name: str) -> None:
        """Discovery, availability (a child's once its presence is known) and (if known)
        state of one device; nothing once it is gone (removed meanwhile: `_announce` runs
        while requests are handled)."""
        bridged = self.devices.get(name)
        if bridged is None:
            return
        await self._publish_discovery(bridged)  # (each publish below checks it again)
        online = self._online.get(name)
        if online is not None or not isinstance(bridged.device, ChildLink):  # no guess
            availability = ONLINE if online else OFFLINE
            await self._publish_for(bridged, self.topics.availability(name), availability)
        if bridged.state():
            await self._publish_for(bridged, self.topics.state(name), bridged.state())

    async def _publish_for(self, bridged: BridgedDevice, topic: str, payload: Any) -> bool:
        """Publish one of `bridged`'s retained topics if it is still bridged under its
        name; False (nothing published) once it was removed or renamed, which may happen
        during any await before: its topics were cleared and must stay so."""
        if not self._bridged(bridged):
            return False
        await self.publish(topic, payload, retain=True)
        return True

    def _bridged(self, bridged: BridgedDevice) -> bool:
        """Whether `bridged` is still bridged under its name: the check every publish
        for a device makes after its awaits (`_publish_for`)."""
        return self.devices.get(bridged.config.name) is bridged

    async def _publish_discovery(self, bridged: BridgedDevice) -> None:
        """The discovery configs of `bridged` that changed (all, after `_announce`)."""
        name = bridged.config.name
        if not self.config.discovery or not self._bridged(bridged):
            return
        extra = (CONNECTIVITY,) if isinstance(bridged.device, GatewayLink) else ()
        configs = discovery_configs(self.config.discovery_prefix, self.topics, bridged, extra)
        published = self._discovered.setdefault(name, {})
        # all decided before the first await: a concurrent call must not publish it again
        stale = [topic for topic in published if topic not in configs]
        fresh = {topic: config for topic, config in configs.items()
                 if published.get(topic) != _digest(config)}
        for topic in stale:
            del published[topic]
        published.update((topic, _digest(config)) for topic, config in fresh.items())
        # b"": an entity the device no longer has (its schema changed). A device removed
        # or renamed meanwhile: its topics are cleared (the same discovery topics as a
        # renamed device's new name: same unique ids), nothing more goes out
        for topic, payload in [*((topic, b"") for topic in stale), *fresh.items()]:
            if not await self._publish_for(bridged, topic, payload):
                return

    async def clear_device(self, name: str) -> None:
        """Clear a device's retained topics and discovery (removed or renamed)."""
        for topic in self._discovered.pop(name, {}):
            await self.publish(topic, b"", retain=True)
        for topic in (self.topics.state(name), self.topics.availability(name)):
            await self.publish(topic, b"", retain=True)

    async def report_error(self, device: str | None, topic: str, error: str) -> None:
        """A refused message: logged, and published on `<base>/<bridge>/error`."""
        self.counters["refused"] += 1
        log.warning("refused %s: %s", topic, error)
        await self.publish(self.topics.errors, {"device": device, "topic": topic, "error": error})

    # -- devices ----------------------------------------------------------------------

    def _watch(self, name: str) -> None:
        bridged = self.devices[name]
        self._watchers[name] = asyncio.create_task(
            self._follow(bridged), name=f"bridge {bridged.config.dev_id}"
        )

    async def _follow(self, bridged: BridgedDevice) -> None:
        """Pushes become state; connection (and a child's presence) changes become
        availability: online while the link says it is connected. A status read
        (`_first_read`) follows each connection and each return of a child; it lasts
        while that connection (and the child's presence) does, one at a time."""
        link, name = bridged.device, bridged.config.name
        reader: asyncio.Task[None] | None = None
        try:
            async for event in link.events():
                if isinstance(event, StatusPush):
                    await self._absorb(bridged, event.dps)
                    continue
                reads = isinstance(event, Connected) or self._returns(bridged, event)
                if reader and (reads or isinstance(event, Disconnected | ConnectFailed
                                                   | ChildOffline)):
                    reader.cancel()  # its connection or child gone, or replaced by this
                    reader = None
                if isinstance(event, Connected) and isinstance(link, GatewayLink):
                    self._spawn(self._quietly(link.query_children()))  # who is there
                if reads:
                    reader = self._spawn(self._first_read(bridged), f"{READER} {name}")
                if isinstance(event, Connected | Disconnected | ConnectFailed | ChildOnline
                              | ChildOffline):
                    await self._set_online(bridged, _availability(link))
        finally:  # removed, or the bridge stops
            if reader is not None:
                reader.cancel()

    def _returns(self, bridged: BridgedDevice, event: DeviceEvent) -> bool:
        """Whether `event` brings back a child published offline: the gateway may have
        learnt its state meanwhile (reads are answered from its memory), and no push
        need come. Not a child's first presence on a connection: that one's read runs."""
        return isinstance(event, ChildOnline) and self._online.get(bridged.config.name) is False

    async def _set_online(self, bridged: BridgedDevice, online: bool | None) -> None:
        name = bridged.config.name
        if online is None or self._online.get(name) == online or not self._bridged(bridged):
            return
        self._online[name] = online
        await self._publish_for(bridged, self.topics.availability(name),
                                ONLINE if online else OFFLINE)

    async def _absorb(self, bridged: BridgedDevice, dps: dict[str, Any], force: bool = False
                      ) -> None:
        name = bridged.config.name
        if not self._bridged(bridged):
            return  # removed or renamed meanwhile
        before = bridged.state()
        if bridged.absorb(dps) or force:
            if bridged.state().keys() != before.keys():  # other DPs or schema: other entities
                await self._publish_discovery(bridged)
            # the state as it is now: a push absorbed during the discovery's awaits was
            # published already, and an older snapshot would overwrite it (retained)
            await self._publish_for(bridged, self.topics.state(name), bridged.state())

    async def _first_read(self, bridged: BridgedDevice) -> None:
        """The status after a connection, tried again with growing delays while it fails
        (a busy device's error answer), `READ_ATTEMPTS` times at most, and not after a
        failure that would come again (`_final`): a device that never pushes has no other
        way to a state. `_follow` cancels it when the connection ends (a reply timeout
        ends it too), its child leaves, or another replaces it."""
        name = bridged.config.name
        backoff = attrs.evolve(self._read_backoff)  # its own count of failures
        for attempt in range(1, READ_ATTEMPTS + 1):
            try:
                dps = await bridged.device.status()
            except TuyaError as exc:
                if not self._bridged(bridged):
                    return  # removed meanwhile
                if _final(exc):
                    log.info("%s: status read refused (%s: the device has no status to "
                             "read); state from pushes only", name, type(exc).__name__)
                    return
                if attempt == READ_ATTEMPTS:
                    log.info("%s: status read gave up after %d attempts (%s); state from "
                             "pushes only", name, attempt, type(exc).__name__)
                    return
                delay = backoff.next_delay()
                log.debug("%s: status read failed (%s); again in %.1f s", name,
                          type(exc).__name__, delay)
                await asyncio.sleep(delay)
                continue
            # a drop now must not cancel its publication: the next connection's read
            # would find nothing changed, and publish nothing
            await asyncio.shield(self._absorb(bridged, dps))
            return

    async def _read(self, bridged: BridgedDevice) -> None:
        """A /get: the status published (again), or an error reported."""
        name = bridged.config.name
        try:
            dps = await bridged.device.status()
        except TuyaError as exc:
            if self._bridged(bridged):  # else: nothing to read any more
                await self.report_error(name, self.topics.get(name),
                                        f"cannot read the device: {exc}")
            return
        await self._absorb(bridged, dps, force=True)

    def _spawn(self, job: Any, name: str | None = None) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(job, name=name)
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)
        return task

    async def add_device(self, config: DeviceConfig) -> None:
        """Start bridging one more device (an `add` request)."""
        self.devices[config.name] = self.make_device(config, self.config)
        if self._client is not None:  # before "online" can be published: a command sent
            await self._subscribe_devices([config.name])  # on seeing it must not be lost
        self._watch(config.name)
        await self._publish_device(config.name)
        await self._publish_devices()

    async def remove_device(self, name: str) -> BridgedDevice:
        """Stop bridging a device; its topics and discovery are cleared."""
        bridged = self.devices.pop(name)
        watcher = self._watchers.pop(name)
        watcher.cancel()
        await bridged.device.aclose()
        self._online.pop(name, None)
        if self._client is not None:
            with contextlib.suppress(aiomqtt.MqttError):
                await self._client.unsubscribe([self.topics.set(name), self.topics.get(name)])
        await self.clear_device(name)
        await self._publish_devices()
        return bridged

    async def _close_devices(self) -> None:
        for watcher in self._watchers.values():
            watcher.cancel()
        for job in list(self._jobs):
            job.cancel()
        await asyncio.gather(*(d.device.aclose() for d in self.devices.values()),
                             return_exceptions=True)
        if isinstance(self.make_device, DeviceMaker):
            await self.make_device.aclose()

    async def _refresh_energy(self) -> None:
        """The one polling there is: `refresh_dps` asked again every `refresh_interval`."""
        interval, dps = self.config.refresh_interval, self.config.refresh_dps
        if interval <= 0 or not dps:
            return
        while True:
            await asyncio.sleep(interval)
            for bridged in list(self.devices.values()):
                if bridged.device.connected:
                    self._spawn(self._quietly(bridged.device.refresh(dps)))

    @staticmethod
    async def _quietly(call: Any) -> None:
        with contextlib.suppress(TuyaError):
            await call

    # -- incoming messages ------------------------------------------------------------

    async def _listen(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            try:
                await self._dispatch(str(message.topic), bytes(message.payload or b""))
            except Exception:  # no message can stop the bridge
                log.exception("message on %s not handled", message.topic)

    async def _dispatch(self, topic: str, payload: bytes) -> None:
        kind = self.topics.request_kind(topic)
        if kind is not None:
            self._spawn(self._request(kind, topic, payload))
            return
        command = self.topics.command(topic)
        if command is None:
            return
        name, verb = command
        bridged = self.devices.get(name)
        if bridged is None:
            await self.report_error(name, topic, f"no device named {name!r} on this bridge")
            return
        if verb == "get":
            self._spawn(self._read(bridged))
            return
        try:
            dps = bridged.to_dps(_json(payload))
        except BridgeInputError as exc:
            await self.report_error(name, topic, str(exc))
            return
        if not bridged.device.connected:
            await self.report_error(name, topic, "the device is offline: nothing was sent")
            return
        self.counters["commands"] += 1
        self._spawn(self._set(bridged, topic, dps))

    async def _set(self, bridged: BridgedDevice, topic: str, dps: dict[str, Any]) -> None:
        try:
            await bridged.device.set_status(dps)
        except TuyaError as exc:
            await self.report_error(bridged.config.name, topic, f"the device refused: {exc}")

    async def _request(self, kind: str, topic: str, payload: bytes) -> None:
        transaction = None
        try:
            request = _json(payload) if payload else {}
            if not isinstance(request, dict):
                raise BridgeInputError("a request is a JSON object")
            transaction = request.get("transaction")
            handler = REQUESTS.get(kind)
            if handler is None:
                raise BridgeInputError(f"unknown request {kind!r} (known: {', '.join(REQUESTS)})")
            data = await handler(self, request)
            response: dict[str, Any] = {"status": "ok", "data": data}
        except (TuyaError, ValueError) as exc:
            await self.report_error(None, topic, str(exc))
            response = {"status": "error", "error": str(exc)}
        if transaction is not None:
            response["transaction"] = transaction
        await self.publish(self.topics.response(kind), response)

    def online_count(self) -> int:
        """How many bridged devices are online now."""
        return sum(1 for name in self.devices if self._online.get(name))

    def health(self) -> dict[str, Any]:
        """What a `health` request answers."""
        return {
            "devices": len(self.devices),
            "online": self.online_count(),
            "uptime": round(time.monotonic() - self.started, 1),
            "mqtt_connected": self._client is not None,
            **self.counters,
        }


def _digest(config: dict[str, Any]) -> int:
    """A discovery config's fingerprint: republished when it changes."""
    return hash(json.dumps(config, sort_keys=True))


def _final(exc: TuyaError) -> bool:
    """Whether a failed status read would fail again: the error tree cannot tell a
    gateway's "data unvalid" (its own entry has no DPs) from a busy device's answer, both
    DeviceErrors, so its text does (a wrong key fails the connection, not the read)."""
    return isinstance(exc, DeviceError) and is_device22_error(str(exc))


def _availability(link: Link) -> bool | None:
    """Whether to publish a device online or offline; None: not known yet (a gateway
    child before its gateway said whether it is there)."""
    if isinstance(link, ChildLink):
        return link.availability
    return link.connected


def _json(payload: bytes) -> object:
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BridgeInputError(f"not valid JSON: {exc}") from None
