"""What a simulated device answers: the JSON of status answers and pushes, per protocol
generation, and reading the DPs out of client requests. No I/O, no state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from typing import Protocol as TypingProtocol

import attrs

from tuyaface_codec import (
    Command,
    PayloadError,
    Protocol,
    RequestKind,
    UnknownProtocolError,
    extract_dps,
    parse_json_object,
)
from tuyaface_codec.requests import dump_json

__all__ = [
    "DATA_FORMAT_ERROR",
    "DEVICE22_ANSWER",
    "Reports",
    "child_status",
    "presence_report",
    "reports_for",
    "request_cid",
    "requested_dp_ids",
]

DEVICE22_ANSWER = b"json obj data unvalid"
DATA_FORMAT_ERROR = b"data format error"


class Reports(TypingProtocol):
    """The JSON a device of one generation sends."""

    def status(self, dev_id: str, dps: Mapping[str, Any]) -> bytes:
        """The answer to a status query."""
        ...

    def push(self, dev_id: str, dps: Mapping[str, Any], t: int) -> bytes:
        """An unsolicited status push (cmd 8)."""
        ...

    def child_push(self, cid: str, dps: Mapping[str, Any], t: int) -> bytes:
        """A gateway child's push (cmd 8), naming it by `cid`."""
        ...


@attrs.frozen
class LegacyReports:
    """3.1 - 3.3: `{"devId": ..., "dps": {...}}`, pushes with a `t`."""

    def status(self, dev_id: str, dps: Mapping[str, Any]) -> bytes:
        return dump_json({"devId": dev_id, "dps": dict(dps)})

    def push(self, dev_id: str, dps: Mapping[str, Any], t: int) -> bytes:
        return dump_json({"devId": dev_id, "dps": dict(dps), "t": t})

    def child_push(self, cid: str, dps: Mapping[str, Any], t: int) -> bytes:
        return dump_json({"dps": dict(dps), "cid": cid, "t": t})


@attrs.frozen
class EnvelopeReports:
    """3.4 / 3.5: `{"dps": {...}}` answers, `{"protocol": 4, "t": ..., "data": {...}}` pushes."""

    def status(self, dev_id: str, dps: Mapping[str, Any]) -> bytes:
        return dump_json({"dps": dict(dps)})

    def push(self, dev_id: str, dps: Mapping[str, Any], t: int) -> bytes:
        return dump_json({"protocol": 4, "t": t, "data": {"dps": dict(dps)}})

    def child_push(self, cid: str, dps: Mapping[str, Any], t: int) -> bytes:
        return dump_json({"protocol": 4, "t": t, "data": {"dps": dict(dps), "cid": cid}})


# Keyed by the command the version reads status with (docs/protocol.md §6.6).
_REPORTS: dict[int, Reports] = {
    Command.DP_QUERY: LegacyReports(),
    Command.DP_QUERY_NEW: EnvelopeReports(),
}


def reports_for(protocol: Protocol) -> Reports:
    """How a device speaking `protocol` words its reports."""
    try:
        return _REPORTS[protocol.command_for(RequestKind.STATUS)]
    except KeyError:
        raise UnknownProtocolError(
            f"the simulator cannot speak protocol {protocol.version!r}: its status command "
            "is neither DP_QUERY nor DP_QUERY_NEW"
        ) from None


def request_dps(payload: bytes) -> dict[str, Any]:
    """The `dps` a CONTROL / CONTROL_NEW request carries (top level or `data.dps`)."""
    dps = extract_dps(parse_json_object(payload))
    if not dps:
        raise PayloadError("the request has no dps")
    return dps


def child_status(cid: str, dps: Mapping[str, Any]) -> bytes:
    """A gateway's answer to a child's status read (every version, docs/protocol.md §10a)."""
    return dump_json({"dps": dict(dps), "cid": cid})


def presence_report(online: list[str], offline: list[str]) -> bytes:
    """One frame of a gateway's `subdev_online_stat_report` (cmd 64)."""
    data = {"online": online, "offline": offline, "nearby": []}
    return dump_json({"reqType": "subdev_online_stat_report", "data": data})


def request_cid(payload: bytes) -> str | None:
    """The child a request names: `cid` at top level (a string, or the refresh's list) or
    inside `data`; None for the gateway itself."""
    message = parse_json_object(payload)
    cid = message.get("cid")
    data = message.get("data")
    if cid is None and isinstance(data, dict):
        cid = data.get("cid")
    if isinstance(cid, list) and len(cid) == 1:
        cid = cid[0]
    if cid is not None and not isinstance(cid, str):
        raise PayloadError("the request's cid is neither a string nor a one-string list")
    return cid


def requested_dp_ids(payload: bytes) -> list[str]:
    """The DP ids of an UPDATEDPS request (`{"dpId": [18, 19]}`)."""
    ids = parse_json_object(payload).get("dpId")
    if not isinstance(ids, list):
        raise PayloadError("UPDATEDPS needs a 'dpId' list")
    return [str(dp) for dp in ids]
