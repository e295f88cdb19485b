"""The tuyaface 1.x functions on a device dict: `status`, `set_status`, `set_state`.

Thin layers over `Device`: the dict is read into settings, one `Device` per dict is kept in
`device["tuyaface"]["connection"]` (so consecutive calls share one connection), and the
bookkeeping 1.x kept in `device["tuyaface"]` is updated after each call. A dict with a
`cid` names a gateway's child: 'deviceid', 'localkey' and 'ip' are then the gateway's, and
the dicts of one gateway's children share one `Gateway` (gateways take 1 - 3 clients).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any, TypeVar

import attrs

from tuyaface_codec import Command, DeviceError, InvalidArgument, TuyaError
from tuyaface_codec.keys import as_key, require_key

from ._core import DEFAULT_PORT, DEFAULT_TIMEOUT, DeviceBase
from ._types import DpsInput
from .device import Device
from .gateway import Child, Gateway

__all__ = [
    "DEVICE22_STATUS_CMD",
    "STATUS_CMD",
    "LegacyDict",
    "Settings",
    "bookkeeping",
    "close_connection",
    "read_settings",
    "reply",
    "set_state",
    "set_status",
    "status",
    "tracking",
    "wants_device22",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
LegacyDict = MutableMapping[str, Any]
"""The 1.x device dict: 'protocol', 'deviceid', 'localkey', 'ip', optional 'port',
'pref_status_cmd', 'timeout', 'transport', 'cid' (a gateway's child); tuyaface adds
'tuyaface'."""

STATUS_CMD = int(Command.DP_QUERY)  # 10: the usual status query
DEVICE22_STATUS_CMD = int(Command.CONTROL_NEW)  # 13: CONTROL_NEW with null DPs (device22)
_STATUS_CMDS = (STATUS_CMD, DEVICE22_STATUS_CMD)
_REQUIRED = {
    "deviceid": "the device id (gwId / devId)",
    "localkey": "the 16-character local key",
    "ip": "the device's IP address",
    "protocol": "the protocol version, '3.1' ... '3.5'",
}
_lock = threading.Lock()  # creating a dict's Device
# One Gateway per gateway while any child's dict keeps a handle on it (the handle holds it).
_gateways: weakref.WeakValueDictionary[Settings, Gateway] = weakref.WeakValueDictionary()
_Driver = Device | Child


@attrs.frozen
class Settings:
    """What a device dict asks for (the device22 choice lives in the bookkeeping)."""

    dev_id: str
    local_key: bytes = attrs.field(repr=False)
    host: str
    version: str
    port: int = DEFAULT_PORT
    timeout: float = DEFAULT_TIMEOUT
    transport: str | None = None
    cid: str | None = None

    def options(self) -> dict[str, Any]:
        """Keyword arguments for `Device` / `AsyncDevice` (the gateway's, for a child)."""
        return {
            "dev_id": self.dev_id,
            "local_key": self.local_key,
            "host": self.host,
            "version": self.version,
            "port": self.port,
            "timeout": self.timeout,
            "transport": self.transport,
        }


def read_settings(device: Mapping[str, Any]) -> Settings:
    """The settings a 1.x device dict names; LocalProtocolError says what is missing."""
    for name, what in _REQUIRED.items():
        if device.get(name) in (None, ""):
            raise InvalidArgument(f"the device dict needs {name!r}: {what}")
    try:
        port = int(device.get("port") or DEFAULT_PORT)
        timeout = float(device.get("timeout") or DEFAULT_TIMEOUT)
    except (TypeError, ValueError):
        raise InvalidArgument("'port' must be a number (6668) and 'timeout' seconds") from None
    transport = device.get("transport")
    cid = device.get("cid")
    if cid is not None and (not isinstance(cid, str) or not cid):
        raise InvalidArgument("'cid' names a gateway's child: a non-empty string")
    return Settings(
        dev_id=str(device["deviceid"]),
        local_key=require_key(as_key(device["localkey"])),
        host=str(device["ip"]),
        version=str(device["protocol"]),  # 1.x users sometimes wrote 3.3, a float
        port=port,
        timeout=timeout,
        transport=None if transport is None else str(transport),
        cid=cid,
    )


def bookkeeping(device: LegacyDict) -> dict[str, Any]:
    """`device["tuyaface"]`, created (or completed) as 1.x had it."""
    book = device.get("tuyaface")
    if not isinstance(book, dict):
        book = device["tuyaface"] = {}
    book.setdefault("sequence_nr", 0)
    book.setdefault("connection", None)
    book.setdefault("availability", False)
    book.setdefault("pref_status_cmd", device.get("pref_status_cmd", STATUS_CMD))
    book.setdefault("status", None)
    return book


def wants_device22(book: Mapping[str, Any]) -> bool:
    """Whether the bookkeeping asks for the device22 status query (pref_status_cmd 13)."""
    value = book["pref_status_cmd"]
    if value not in _STATUS_CMDS:
        raise InvalidArgument(
            f"pref_status_cmd is {STATUS_CMD} (DP_QUERY) or {DEVICE22_STATUS_CMD} "
            f"(CONTROL_NEW, for device22 firmware), not {value!r}"
        )
    return bool(value == DEVICE22_STATUS_CMD)


def reply(dev_id: str, dps: Mapping[str, Any], cid: str | None = None) -> dict[str, Any]:
    """A 1.x style reply object: `{"devId": ..., "dps": {...}}` (and "cid" for sub-devices)."""
    message: dict[str, Any] = {"devId": dev_id, "dps": dict(dps)}
    if cid is not None:
        message["cid"] = cid
    return message


@contextlib.contextmanager
def tracking(book: dict[str, Any], driver: DeviceBase | Child) -> Iterator[None]:
    """Count a request and note its outcome: availability, and pref_status_cmd 13 once
    the driver learnt the device needs the device22 query."""
    book["sequence_nr"] += 1
    try:
        yield
    except DeviceError:
        book["availability"] = True  # it answered, with an error
        raise
    except TuyaError:
        book["availability"] = False
        raise
    finally:
        device22 = isinstance(driver, DeviceBase) and driver.device22  # never for a child
        book["pref_status_cmd"] = DEVICE22_STATUS_CMD if device22 else STATUS_CMD
    book["availability"] = True


class _DictDevice(Device):
    """The `Device` kept in a dict's bookkeeping, with the settings it was made from."""

    def __init__(self, settings: Settings, *, device22: bool) -> None:
        super().__init__(**settings.options(), device22=device22)
        self.settings = settings


def _connection(book: dict[str, Any], settings: Settings) -> _Driver:
    """The dict's `Device`: the kept one while the dict still names the same device,
    else a new one (the old one closed). For a child, its handle on the shared `Gateway`."""
    device22 = wants_device22(book)
    with _lock:
        kept = book["connection"]
        if settings.cid is not None:
            return _child(book, settings, settings.cid)
        if (
            isinstance(kept, _DictDevice)
            and kept.settings == settings
            and kept.device22 == device22
        ):
            return kept
        if isinstance(kept, Device):
            kept.close()
        fresh = _DictDevice(settings, device22=device22)
        book["connection"] = fresh
        return fresh


def _child(book: dict[str, Any], settings: Settings, cid: str) -> Child:
    """A child's handle, on the one `Gateway` the dicts of its siblings share."""
    kept = book["connection"]
    if isinstance(kept, _DictChild) and kept.settings == settings:
        return kept
    if isinstance(kept, Device):
        kept.close()
    gateway_settings = attrs.evolve(settings, cid=None)
    gateway = _gateways.get(gateway_settings)
    if gateway is None:
        gateway = _gateways[gateway_settings] = Gateway(**gateway_settings.options())
    fresh = book["connection"] = _DictChild(gateway, cid, settings)
    return fresh


class _DictChild(Child):
    """The child handle kept in a dict's bookkeeping, with the settings it was made from."""

    def __init__(self, gateway: Gateway, cid: str, settings: Settings) -> None:
        super().__init__(gateway, cid)
        self.settings = settings


def close_connection(device: LegacyDict) -> None:
    """Close the connection a dict keeps (the device then has its one slot free). For a
    child, the gateway's shared connection (its siblings' next call opens it again)."""
    book = device.get("tuyaface")
    if not isinstance(book, dict):
        return
    kept = book.get("connection")
    if isinstance(kept, Device):
        kept.close()
    elif isinstance(kept, Child):
        kept.gateway.close()
    else:
        return
    book["connection"] = None


def _call(device: LegacyDict, action: Callable[[_Driver], T]) -> tuple[Settings, T]:
    settings = read_settings(device)
    book = bookkeeping(device)
    driver = _connection(book, settings)
    with tracking(book, driver):
        return settings, action(driver)


def status(device: LegacyDict) -> dict[str, Any]:
    """The device's reply to a status query, `{"devId": ..., "dps": {"1": True, ...}}`;
    also kept in `device["tuyaface"]["status"]`. Raises a `TuyaError` on failure."""
    settings, dps = _call(device, lambda driver: driver.status())
    message = reply(settings.dev_id, dps, settings.cid)
    device["tuyaface"]["status"] = message
    return message


def set_status(device: LegacyDict, dps: DpsInput) -> bool:
    """Set DPs, e.g. `{"1": True}`, and wait for the device's acknowledgement. True when
    acknowledged; raises a `TuyaError` otherwise."""
    _call(device, lambda driver: driver.set_status(dps))
    return True


def set_state(device: LegacyDict, value: Any, idx: int | str = 1) -> bool:
    """Set one DP (DP 1, the main switch, by default): `set_status(device, {idx: value})`."""
    return set_status(device, {str(idx): value})
