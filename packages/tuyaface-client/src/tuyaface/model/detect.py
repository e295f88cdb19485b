"""DP discovery for devices whose status does not list every DP (device22, docs/devices.md
§3): null-value probes over DPs 1-30, 50-70 and 100-140, in chunks that keep each request
under 255 bytes, always with DP 1. What is found is remembered: the device's `dp_ids`
(what its device22 status query asks for) become the DPs found. A gateway's child is not
probed: no gateway is known to pass such probes on (docs/protocol.md §10a)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from tuyaface_codec import LocalProtocolError

from .handle import Op, run

__all__ = ["PROBE_RANGES", "REQUEST_LIMIT", "detect_dps", "probe_chunks"]

PROBE_RANGES = (range(1, 31), range(50, 71), range(100, 141))
REQUEST_LIMIT = 255  # bytes on the wire for one probe, framing and encryption included
# What a probe frame adds to its compact `"dps"` JSON: header, version header, CRC / HMAC
# / GCM tag, suffix, padding, and the JSON around the DPs (devId, uid, t; 3.4 / 3.5's
# wrapper). With a 100-byte budget, probes measured 186 - 231 bytes on 3.1 - 3.5 with a
# 22-character devId (tests/test_model_detect.py): 11 requests.
_OVERHEAD = 155


class _Probeable(Protocol):
    def status(self) -> Any: ...

    def query(self, dp_ids: Iterable[int | str]) -> Any: ...

    @property
    def dp_ids(self) -> tuple[str, ...]: ...

    @dp_ids.setter
    def dp_ids(self, dp_ids: Iterable[int | str]) -> None: ...


def probe_chunks(budget: int = REQUEST_LIMIT - _OVERHEAD) -> Iterator[list[str]]:
    """The probes: DP ids of the ranges, DP 1 in each, each chunk's null-valued `dps`
    JSON at most `budget` bytes."""
    chunk = ["1"]
    for dp in (str(n) for span in PROBE_RANGES for n in span if n != 1):
        if len(json.dumps({d: None for d in [*chunk, dp]}, separators=(",", ":"))) > budget:
            yield chunk
            chunk = ["1"]
        chunk.append(dp)
    yield chunk


def _detect(device: _Probeable) -> Op[dict[str, Any]]:
    found: dict[str, Any] = dict((yield ("status", None)) or {})
    for chunk in probe_chunks():
        found.update((yield ("query", chunk)) or {})
    if found:
        device.dp_ids = sorted(found, key=int)
    return found


def detect_dps(device: _Probeable) -> Any:
    """Every DP the device answers for, `{dp: value}` (an awaitable of it for an
    AsyncDevice); afterwards the device's status query asks for all of them.
    LocalProtocolError, before any I/O, for a gateway's child (`gateway.child(cid)`)."""
    cid = getattr(device, "cid", None)
    if cid is not None:
        raise LocalProtocolError(
            f"detect_dps cannot probe gateway child {cid}: device22 probes through a "
            "gateway are no known wire behaviour; its DPs come from its devices.json "
            "mapping, its category or its status"
        )
    return run(device, _detect(device))  # type: ignore[arg-type]
