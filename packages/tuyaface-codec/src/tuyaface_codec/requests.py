"""Request kinds and the JSON bodies each protocol generation sends (docs/protocol.md §6.5)."""

from __future__ import annotations

import _json
import enum
from collections.abc import Iterable, Mapping
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
    if dps is not None and not isinstance(dps, Mapping):
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


def _common(
    kind: RequestKind, dev_id: str, dp_ids: Iterable[int | str] | None, cid: str | None
) -> object:
    if kind is RequestKind.HEARTBEAT:
        return {"gwId": dev_id, "devId": dev_id}
    if kind is RequestKind.REFRESH:
        # A sub-device's refresh names it in a list: a bare string is ignored (§10a).
        ids = dp_numbers(dp_ids or ())
        return {"dpId": ids} if cid is None else {"dpId": ids, "cid": [cid]}
    return None


def dp_numbers(dp_ids: Iterable[int | str]) -> list[int]:
    """DP ids as numbers; InvalidArgument for one that is not."""
    try:
        return [int(dp) for dp in dp_ids]
    except (TypeError, ValueError):
        raise InvalidArgument(f"DP ids are numbers such as 18 or '18', got {dp_ids!r}") from None


class LegacyRequests(Value):
    """3.1 - 3.3: DP_QUERY / CONTROL with devId, uid and a string `t`."""

    _fields: ClassVar[tuple[str, ...]] = ("commands",)
    __slots__ = _fields

    commands: Mapping[RequestKind, int]

    def __init__(self, commands: Mapping[RequestKind, int] | None = None) -> None:
        if commands is None:
            commands = {
                RequestKind.STATUS: Command.DP_QUERY,
                RequestKind.SET: Command.CONTROL,
                RequestKind.HEARTBEAT: Command.HEART_BEAT,
                RequestKind.REFRESH: Command.UPDATEDPS,
                RequestKind.DEVICE22_STATUS: Command.CONTROL_NEW,
            }
        set_fields(self, commands=commands)

    def command_for(self, kind: RequestKind) -> int:
        try:
            return self.commands[kind]
        except KeyError:
            raise LocalProtocolError(f"{kind.value} requests need protocol 3.4 or newer") from None

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
        self.command_for(kind)
        body = _common(kind, dev_id, dp_ids, cid)
        if body is None:
            body = self._query_or_set(kind, dev_id, t, dps, cid, dp_ids)
        return dump_json(body)

    @staticmethod
    def _query_or_set(
        kind: RequestKind,
        dev_id: str,
        t: int,
        dps: DpsLike | None,
        cid: str | None,
        dp_ids: Iterable[int | str] | None,
    ) -> dict[str, Any]:
        values: dict[str, Any] | None
        if kind is RequestKind.SET:
            values = dps_dict(dps)
        elif kind is RequestKind.DEVICE22_STATUS:
            values = _null_dps(dp_ids)
        else:
            values = None
        if cid is not None:
            sub: dict[str, Any] = {"t": t, "cid": cid}
            return sub if values is None else {**sub, "dps": values}
        if values is None:
            return {"gwId": dev_id, "devId": dev_id, "uid": dev_id, "t": str(t)}
        return {"devId": dev_id, "uid": dev_id, "t": str(t), "dps": values}


class Protocol5Requests(Value):
    """3.4 / 3.5: DP_QUERY_NEW `{}` and CONTROL_NEW with the `protocol: 5` envelope."""

    _fields: ClassVar[tuple[str, ...]] = ("commands",)
    __slots__ = _fields

    commands: Mapping[RequestKind, int]

    def __init__(self, commands: Mapping[RequestKind, int] | None = None) -> None:
        if commands is None:
            commands = {
                RequestKind.STATUS: Command.DP_QUERY_NEW,
                RequestKind.SET: Command.CONTROL_NEW,
                RequestKind.HEARTBEAT: Command.HEART_BEAT,
                RequestKind.REFRESH: Command.UPDATEDPS,
                RequestKind.DEVICE22_STATUS: Command.CONTROL_NEW,
                RequestKind.SUB_DEVICES: Command.LAN_EXT_STREAM,
            }
        set_fields(self, commands=commands)

    def command_for(self, kind: RequestKind) -> int:
        return self.commands[kind]

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
        body = _common(kind, dev_id, dp_ids, cid)
        if body is not None:
            return dump_json(body)
        if kind is RequestKind.STATUS:
            return dump_json({} if cid is None else {"cid": cid})
        if kind is RequestKind.SUB_DEVICES:
            return dump_json({"reqType": "subdev_online_stat_query", "data": {"cids": []}})
        values = dps_dict(dps) if kind is RequestKind.SET else _null_dps(dp_ids)
        if cid is None:
            return dump_json({"protocol": 5, "t": t, "data": {"dps": values}})
        data = {"cid": cid, "ctype": 0, "dps": values}
        return dump_json({"protocol": 5, "t": t, "data": data, "cid": cid})
