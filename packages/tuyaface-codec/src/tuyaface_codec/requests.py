"""Request kinds and the JSON bodies each protocol generation sends (docs/protocol.md §6.5)."""

from __future__ import annotations

import _json
import enum
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Protocol

from ._value import Value, set_fields
from .commands import Command
from .errors import ArgumentTypeError, InvalidArgument, LocalProtocolError, PayloadError

__all__ = [
    "DpsLike",
    "LegacyRequests",
    "Protocol5Requests",
    "RequestBuilder",
    "RequestKind",
    "dp_numbers",
    "dps_dict",
    "dump_json",
]

DpsLike = Mapping[str, Any] | Mapping[int, Any] | Mapping[str | int, Any]


class RequestKind(enum.Enum):
    """What a client asks a device for."""

    STATUS = "status"
    SET = "set"
    HEARTBEAT = "heartbeat"
    REFRESH = "refresh"
    DEVICE22_STATUS = "device22_status"
    SUB_DEVICES = "sub_devices"

    # Members are singletons compared by identity; Enum's own __hash__ (a Python-level hash of
    # the name) cost two dict lookups per request on the encode hot path.
    __hash__ = object.__hash__


def _not_json(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# json's C encoder, made once: JSONEncoder.encode makes one per call (encode jobs -7 to -14%).
# Compact, ASCII, no NaN; no circular check (it costs a dict per call): a self-containing
# value ends in RecursionError.
_ENCODE = _json.make_encoder(
    None, _not_json, _json.encode_basestring_ascii, None, ":", ",", False, False, False
)


def dump_json(obj: object) -> bytes:
    """Compact JSON bytes, as devices expect; PayloadError for values JSON cannot hold."""
    try:
        return "".join(_ENCODE(obj, 0)).encode("ascii")
    except (TypeError, ValueError, RecursionError) as exc:
        raise PayloadError(f"DP values must be JSON values (bool, number, string): {exc}") from None


def dps_dict(dps: DpsLike | None) -> dict[str, Any]:
    """DPs to set as a dict of str ids; InvalidArgument when there are none."""
    # `dict` first: an ABC isinstance costs 0.1 us (encode set -2%)
    if dps is not None and dps.__class__ is not dict and not isinstance(dps, Mapping):
        raise ArgumentTypeError(
            f"DPs to set are a dict such as {{'1': True}}, not a {type(dps).__name__}"
        )
    if not dps:
        raise InvalidArgument("give at least one DP to set, e.g. {'1': True}")
    return {str(dp): value for dp, value in dps.items()}


def _null_dps(dp_ids: Iterable[int | str] | None) -> dict[str, None]:
    return {str(dp): None for dp in (dp_ids or (1, 2, 3))}


class RequestBuilder(Protocol):
    """Command number and JSON body for each request kind."""

    def command_for(self, kind: RequestKind) -> int:
        """The `cmd` of a request of this kind."""
        ...

    def build(
        self,
        kind: RequestKind,
        *,
        dev_id: str,
        t: int,
        dps: DpsLike | None = None,
        cid: str | None = None,
        dp_ids: Iterable[int | str] | None = None,
    ) -> bytes:
        """The JSON body of the request."""
        ...


# One small function per request kind and generation: the JSON bytes to send. A table of
# them replaces a chain of `kind` tests (a body 0.4-0.5 us faster: encode jobs -7 to -10%).
Body = Callable[[str, int, DpsLike | None, str | None, Iterable[int | str] | None], bytes]


def _heartbeat(dev_id: str, t: int, dps: DpsLike | None, cid: str | None,
               dp_ids: Iterable[int | str] | None) -> bytes:
    return dump_json({"gwId": dev_id, "devId": dev_id})


def _refresh(dev_id: str, t: int, dps: DpsLike | None, cid: str | None,
             dp_ids: Iterable[int | str] | None) -> bytes:
    # A sub-device's refresh names it in a list: a bare string is ignored (§10a).
    ids = dp_numbers(dp_ids or ())
    return dump_json({"dpId": ids} if cid is None else {"dpId": ids, "cid": [cid]})


def dp_numbers(dp_ids: Iterable[int | str]) -> list[int]:
    """DP ids as numbers; InvalidArgument for one that is not."""
    try:
        return [int(dp) for dp in dp_ids]
    except (TypeError, ValueError):
        raise InvalidArgument(f"DP ids are numbers such as 18 or '18', got {dp_ids!r}") from None


def _legacy_query(dev_id: str, t: int, dps: DpsLike | None, cid: str | None,
                  dp_ids: Iterable[int | str] | None) -> bytes:
    if cid is not None:
        return dump_json({"t": t, "cid": cid})
    if dev_id.__class__ is not str:
        return dump_json({"gwId": dev_id, "devId": dev_id, "uid": dev_id, "t": str(t)})
    # Every poll's body, formatted directly: 0.35 us, not 1.1 (3.1 / 3.3 encode status -20%).
    # Byte for byte dump_json's (test_codec_roundtrip checks it).
    quoted_id = _quote(dev_id)
    quoted_t = _quote(str(t))
    return b'{"gwId":%s,"devId":%s,"uid":%s,"t":%s}' % (quoted_id, quoted_id, quoted_id, quoted_t)


def _quote(text: str) -> bytes:
    """`text` as a JSON string, as dump_json writes it."""
    return _json.encode_basestring_ascii(text).encode("ascii")


def _legacy_values(values: dict[str, Any], dev_id: str, t: int, cid: str | None) -> bytes:
    if cid is not None:
        return dump_json({"t": t, "cid": cid, "dps": values})
    return dump_json({"devId": dev_id, "uid": dev_id, "t": str(t), "dps": values})


def _legacy_set(dev_id: str, t: int, dps: DpsLike | None, cid: str | None,
                dp_ids: Iterable[int | str] | None) -> bytes:
    return _legacy_values(dps_dict(dps), dev_id, t, cid)


def _legacy_device22(dev_id: str, t: int, dps: DpsLike | None, cid: str | None,
                     dp_ids: Iterable[int | str] | None) -> bytes:
    return _legacy_values(_null_dps(dp_ids), dev_id, t, cid)


def _p5_status(dev_id: str, t: int, dps: DpsLike | None, cid: str | None,
               dp_ids: Iterable[int | str] | None) -> bytes:
    # the constant, not the encoder's output (3.4 / 3.5 encode status -11%)
    return b"{}" if cid is None else dump_json({"cid": cid})


def _p5_sub_devices(dev_id: str, t: int, dps: DpsLike | None, cid: str | None,
                    dp_ids: Iterable[int | str] | None) -> bytes:
    return dump_json({"reqType": "subdev_online_stat_query", "data": {"cids": []}})


def _p5_values(values: dict[str, Any], t: int, cid: str | None) -> bytes:
    if cid is None:
        return dump_json({"protocol": 5, "t": t, "data": {"dps": values}})
    data = {"cid": cid, "ctype": 0, "dps": values}
    return dump_json({"protocol": 5, "t": t, "data": data, "cid": cid})


def _p5_set(dev_id: str, t: int, dps: DpsLike | None, cid: str | None,
            dp_ids: Iterable[int | str] | None) -> bytes:
    return _p5_values(dps_dict(dps), t, cid)


def _p5_device22(dev_id: str, t: int, dps: DpsLike | None, cid: str | None,
                 dp_ids: Iterable[int | str] | None) -> bytes:
    return _p5_values(_null_dps(dp_ids), t, cid)


_LEGACY_BODIES: dict[RequestKind, Body] = {
    RequestKind.STATUS: _legacy_query,
    RequestKind.SET: _legacy_set,
    RequestKind.HEARTBEAT: _heartbeat,
    RequestKind.REFRESH: _refresh,
    RequestKind.DEVICE22_STATUS: _legacy_device22,
}
_P5_BODIES: dict[RequestKind, Body] = {
    RequestKind.STATUS: _p5_status,
    RequestKind.SET: _p5_set,
    RequestKind.HEARTBEAT: _heartbeat,
    RequestKind.REFRESH: _refresh,
    RequestKind.DEVICE22_STATUS: _p5_device22,
    RequestKind.SUB_DEVICES: _p5_sub_devices,
}


class _TableRequests(Value):
    """Request bodies from a per-kind table; `commands` maps each kind to its command. A kind
    a plugin gives a command but no body of its own is sent with the query body."""

    _fields: ClassVar[tuple[str, ...]] = ("commands",)
    __slots__ = _fields

    commands: Mapping[RequestKind, int]
    _default_commands: ClassVar[Mapping[RequestKind, int]]
    _bodies: ClassVar[Mapping[RequestKind, Body]]
    _missing: ClassVar[str]  # why a kind without a command cannot be sent

    def __init__(self, commands: Mapping[RequestKind, int] | None = None) -> None:
        set_fields(self, commands=dict(self._default_commands) if commands is None else commands)

    def command_for(self, kind: RequestKind) -> int:
        try:
            return self.commands[kind]
        except KeyError:
            raise LocalProtocolError(f"{kind.value} requests {self._missing}") from None

    def build(
        self,
        kind: RequestKind,
        *,
        dev_id: str,
        t: int,
        dps: DpsLike | None = None,
        cid: str | None = None,
        dp_ids: Iterable[int | str] | None = None,
    ) -> bytes:
        if kind not in self.commands:
            self.command_for(kind)  # raises
        body = self._bodies.get(kind) or self._bodies[RequestKind.STATUS]
        return body(dev_id, t, dps, cid, dp_ids)


class LegacyRequests(_TableRequests):
    """3.1 - 3.3: DP_QUERY / CONTROL with devId, uid and a string `t`."""

    __slots__ = ()
    _default_commands: ClassVar[Mapping[RequestKind, int]] = {
        RequestKind.STATUS: Command.DP_QUERY,
        RequestKind.SET: Command.CONTROL,
        RequestKind.HEARTBEAT: Command.HEART_BEAT,
        RequestKind.REFRESH: Command.UPDATEDPS,
        RequestKind.DEVICE22_STATUS: Command.CONTROL_NEW,
    }
    _bodies = _LEGACY_BODIES
    _missing = "need protocol 3.4 or newer"


class Protocol5Requests(_TableRequests):
    """3.4 / 3.5: DP_QUERY_NEW `{}` and CONTROL_NEW with the `protocol: 5` envelope."""

    __slots__ = ()
    _default_commands: ClassVar[Mapping[RequestKind, int]] = {
        RequestKind.STATUS: Command.DP_QUERY_NEW,
        RequestKind.SET: Command.CONTROL_NEW,
        RequestKind.HEARTBEAT: Command.HEART_BEAT,
        RequestKind.REFRESH: Command.UPDATEDPS,
        RequestKind.DEVICE22_STATUS: Command.CONTROL_NEW,
        RequestKind.SUB_DEVICES: Command.LAN_EXT_STREAM,
    }
    _bodies = _P5_BODIES
    _missing = "have no command in this protocol"
