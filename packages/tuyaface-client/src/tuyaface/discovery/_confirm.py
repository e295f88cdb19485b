"""A broadcast is a hint: adopt a device's new address only once a connection there works."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tuyaface_codec import LocalProtocolError, TuyaError
from tuyaface_codec.keys import KeyLike

from .._core import DEFAULT_PORT
from ..async_device import AsyncDevice
from ..device import Device
from ..plugins import resolve_transport
from ._device import DiscoveredDevice

__all__ = [
    "AsyncProbe",
    "Probe",
    "aconfirm_address",
    "astatus_readable",
    "atcp_reachable",
    "confirm_address",
    "status_readable",
    "tcp_reachable",
]

log = logging.getLogger(__name__)

R = TypeVar("R")
Probe = Callable[[str], bool]
AsyncProbe = Callable[[str], Awaitable[bool]]


def tcp_reachable(ip: str, port: int = DEFAULT_PORT, *, timeout: float = 3.0) -> bool:
    """True when a TCP connection to (ip, port) opens within `timeout` seconds."""
    try:
        resolve_transport("tcp").connect(ip, port, timeout=timeout).close()
    except OSError as exc:
        log.debug("no connection to %s:%s: %s", ip, port, exc)
        return False
    return True


async def atcp_reachable(ip: str, port: int = DEFAULT_PORT, *, timeout: float = 3.0) -> bool:
    """`tcp_reachable` for asyncio."""
    try:
        connection = await resolve_transport("asyncio").aconnect(ip, port, timeout=timeout)
        await connection.aclose()
    except OSError as exc:
        log.debug("no connection to %s:%s: %s", ip, port, exc)
        return False
    return True


def status_readable(
    dev_id: str,
    local_key: KeyLike,
    ip: str,
    *,
    version: str,
    port: int = DEFAULT_PORT,
    timeout: float = 3.0,
) -> bool:
    """True when the device `dev_id` at (ip, port) answers a status query with `local_key`."""
    try:
        with Device(dev_id, local_key, ip, version=version, port=port, timeout=timeout) as device:
            device.status()
    except (TuyaError, OSError) as exc:
        log.debug("no status from %s at %s:%s: %s", dev_id, ip, port, exc)
        return False
    return True


async def astatus_readable(
    dev_id: str,
    local_key: KeyLike,
    ip: str,
    *,
    version: str,
    port: int = DEFAULT_PORT,
    timeout: float = 3.0,
) -> bool:
    """`status_readable` for asyncio, through `AsyncDevice`."""
    device = AsyncDevice(
        dev_id, local_key, ip, version=version, port=port, timeout=timeout,
        heartbeat_interval=None,
    )
    try:
        async with asyncio.timeout(timeout * 2), device:  # connect, then the query
            await device.status()
    except (TuyaError, OSError) as exc:
        log.debug("no status from %s at %s:%s: %s", dev_id, ip, port, exc)
        return False
    return True


def _candidate(device_id: str, current_ip: str | None, found: DiscoveredDevice) -> str | None:
    """The address worth probing: `found.ip` if it is this device's and a change."""
    if found.id != device_id or found.ip == current_ip:
        return None
    return found.ip


def _status_version(found: DiscoveredDevice, version: str | None) -> str:
    """The version to read the status with: `version`, else the announced one."""
    tag = version or found.version
    if tag is None:
        raise LocalProtocolError(
            f"device {found.id} did not announce its version: pass version= to check it"
        )
    return tag


def _decide(device_id: str, current_ip: str | None, candidate: str, works: bool) -> str | None:
    if works:
        log.info("device %s moved from %s to %s", device_id, current_ip, candidate)
        return candidate
    log.info(
        "device %s announced %s, which does not answer; keeping %s",
        device_id, candidate, current_ip,
    )
    return current_ip


def _check(
    candidate: str,
    found: DiscoveredDevice,
    local_key: KeyLike | None,
    version: str | None,
    port: int,
    timeout: float,
    probe: Callable[[str], R] | None,
    status: Callable[..., R],
    tcp: Callable[..., R],
) -> R:
    """Run the check `confirm_address` documents (sync or async, by the callables given)."""
    if probe is not None:
        return probe(candidate)
    if local_key is not None:
        tag = _status_version(found, version)
        return status(found.id, local_key, candidate, version=tag, port=port, timeout=timeout)
    return tcp(candidate, port, timeout=timeout)


def confirm_address(
    device_id: str,
    current_ip: str | None,
    found: DiscoveredDevice,
    *,
    local_key: KeyLike | None = None,
    version: str | None = None,
    port: int = DEFAULT_PORT,
    timeout: float = 3.0,
    probe: Probe | None = None,
) -> str | None:
    """The address to use for `device_id` now that `found` was discovered.

    `found.ip` when the announcement is this device's, names another address than
    `current_ip`, and a check there succeeds; otherwise `current_ip`, unchanged. The check:
    `probe(ip)` if given; else, with `local_key`, a status read through `Device` (version
    from `version`, else the announcement); else a TCP connection to `port`.
    """
    candidate = _candidate(device_id, current_ip, found)
    if candidate is None:
        return current_ip
    works = _check(
        candidate, found, local_key, version, port, timeout, probe,
        status_readable, tcp_reachable,
    )
    return _decide(device_id, current_ip, candidate, works)


async def aconfirm_address(
    device_id: str,
    current_ip: str | None,
    found: DiscoveredDevice,
    *,
    local_key: KeyLike | None = None,
    version: str | None = None,
    port: int = DEFAULT_PORT,
    timeout: float = 3.0,
    probe: AsyncProbe | None = None,
) -> str | None:
    """`confirm_address` for asyncio: `probe` is awaited, a status read uses `AsyncDevice`."""
    candidate = _candidate(device_id, current_ip, found)
    if candidate is None:
        return current_ip
    works = await _check(
        candidate, found, local_key, version, port, timeout, probe,
        astatus_readable, atcp_reachable,
    )
    return _decide(device_id, current_ip, candidate, works)
