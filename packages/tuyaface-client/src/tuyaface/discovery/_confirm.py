"""A broadcast is a hint: adopt a device's new address only once a connection there works."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from ..plugins import resolve_transport
from ._device import DiscoveredDevice

__all__ = [
    "AsyncProbe",
    "DEFAULT_PORT",
    "Probe",
    "aconfirm_address",
    "atcp_reachable",
    "confirm_address",
    "tcp_reachable",
]

log = logging.getLogger(__name__)

DEFAULT_PORT = 6668
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


def _new_address(device_id: str, current_ip: str | None, found: DiscoveredDevice) -> str | None:
    """The address worth probing: `found.ip` if it is this device's and a change."""
    if found.id != device_id or found.ip == current_ip:
        return None
    return found.ip


def _decide(device_id: str, current_ip: str | None, candidate: str, works: bool) -> str | None:
    if works:
        log.info("device %s moved from %s to %s", device_id, current_ip, candidate)
        return candidate
    log.info("device %s announced %s, which does not answer; keeping %s",
             device_id, candidate, current_ip)
    return current_ip


def confirm_address(
    device_id: str,
    current_ip: str | None,
    found: DiscoveredDevice,
    *,
    port: int = DEFAULT_PORT,
    timeout: float = 3.0,
    probe: Probe | None = None,
) -> str | None:
    """The address to use for `device_id` after `found` was discovered.

    `found.ip` when it is this device's, differs from `current_ip`, and `probe(found.ip)`
    succeeds (default: a TCP connection to `port` opens within `timeout`); otherwise
    `current_ip`, unchanged. Pass `probe` to demand more, e.g. a status read.
    """
    candidate = _new_address(device_id, current_ip, found)
    if candidate is None:
        return current_ip
    works = probe(candidate) if probe else tcp_reachable(candidate, port, timeout=timeout)
    return _decide(device_id, current_ip, candidate, works)


async def aconfirm_address(
    device_id: str,
    current_ip: str | None,
    found: DiscoveredDevice,
    *,
    port: int = DEFAULT_PORT,
    timeout: float = 3.0,
    probe: AsyncProbe | None = None,
) -> str | None:
    """`confirm_address` for asyncio; `probe` is awaited."""
    candidate = _new_address(device_id, current_ip, found)
    if candidate is None:
        return current_ip
    if probe is not None:
        works = await probe(candidate)
    else:
        works = await atcp_reachable(candidate, port, timeout=timeout)
    return _decide(device_id, current_ip, candidate, works)
