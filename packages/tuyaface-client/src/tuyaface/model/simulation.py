"""A `SimulatedDevice` built from a schema or a category (`simulated_device`).

What the simulated device does, as many real ones do:
- A control DP with a value its schema rejects (out of range, not an enum's value, the
  wrong type) or a read-only DP is ignored: not stored, not in the push that follows,
  and the control is still acknowledged. Valid DPs of the same control are applied. The
  ignored ones are listed in `behaviour.rejected` for tests. DPs the schema does not know
  are ignored the same way.
- Read-only measurements change over time (power, current, voltage, energy, temperature,
  humidity), pushed every `tick` seconds.
- A cover moves: `percent_state` walks to the position asked for (`percent_control`, or
  open / close) by 10 a tick, pushed with `work_state`; stop halts it.

`simulated_gateway` does the same for each child of a `SimulatedGateway`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from typing import Any, Protocol

import attrs

from .._types import DpsInput
from ..gateway.simulated import SimulatedGateway
from ..simulator import CLIENT_WAIT, SimulatedDevice
from .builtin import builtin_schema
from .colour import Hsv
from .cover import vocabulary
from .errors import DpValueError
from .schema import DpSchema
from .spec import DpSpec, DpType

__all__ = ["SchemaBehaviour", "initial_dps", "simulated_device", "simulated_gateway"]

log = logging.getLogger(__name__)

# code -> (start, largest step a tick) in raw units; energy only grows
_MEASURED = {
    "cur_power": (125, 20),
    "cur_current": (60, 8),
    "cur_voltage": (2301, 15),
    "add_ele": (10, 0),
    "temp_current": (205, 2),
    "va_temperature": (215, 2),
    "va_humidity": (45, 1),
    "battery_percentage": (90, 0),
}
_COVER_STEP = 10


class Acting(Protocol):
    """What a behaviour acts on: a `SimulatedDevice`, or a gateway's `SimulatedChild`."""

    @property
    def dev_id(self) -> str: ...

    @property
    def dps(self) -> dict[str, Any]: ...

    async def push(self, dps: DpsInput, *, wait: float = CLIENT_WAIT) -> bool: ...


def _start(spec: DpSpec) -> Any:
    if spec.code in _MEASURED:
        return _clamp(spec, _MEASURED[spec.code][0])
    if spec.colour is not None:
        return spec.encode(Hsv(0, 1, 1)) if not spec.readonly else ""
    if spec.type is DpType.INTEGER:
        return _clamp(spec, spec.min if spec.min is not None else 0)
    if spec.type is DpType.ENUM:
        return spec.values[-1 if spec.code == "control" else 0] if spec.values else ""
    defaults = {DpType.BOOLEAN: False, DpType.BITMAP: 0, DpType.JSON: "{}"}
    return defaults.get(spec.type, "")


def _clamp(spec: DpSpec, raw: int) -> int:
    low = spec.min if spec.min is not None else raw
    high = spec.max if spec.max is not None else raw
    return max(low, min(high, raw))


def initial_dps(schema: DpSchema) -> dict[str, Any]:
    """Plausible starting values for every DP of the schema."""
    values = {dp: _start(spec) for dp, spec in schema.specs.items()}
    control = schema.find("control")
    if control is not None and control.type is DpType.ENUM:
        stop = vocabulary(control)[2]
        values[control.dp] = stop if stop in control.values else values[control.dp]
    return values


def _valid(spec: DpSpec, raw: Any) -> bool:
    if spec.readonly:
        return False
    if spec.colour is not None:  # a colour string must read as a colour
        return isinstance(raw, str) and spec.decode(raw) != raw
    try:
        return bool(spec.encode(spec.decode(raw)) == raw)
    except DpValueError:
        return False


@attrs.define(eq=False)
class SchemaBehaviour:
    """A `tuyaface.simulator.Behaviour` (or a gateway's `ChildBehaviour`) from a schema
    (see the module's docstring)."""

    schema: DpSchema
    tick: float = 0.5
    seed: int = 0
    rejected: list[tuple[str, Any]] = attrs.field(factory=list, init=False)
    _target: int | None = attrs.field(default=None, init=False)
    _random: random.Random = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def accept(self, device: Acting, dps: dict[str, Any]) -> dict[str, Any]:
        """The valid part of a control; the cover's target from it."""
        taken = {}
        for dp, raw in dps.items():
            spec = self.schema.specs.get(dp)
            if spec is None or not _valid(spec, raw):
                log.debug("%s: ignored DP %s (not valid for its schema)", device.dev_id, dp)
                self.rejected.append((dp, raw))
            else:
                taken[dp] = raw
        self._aim(device, taken)
        return taken

    def _aim(self, device: Acting, taken: dict[str, Any]) -> None:
        target, control = self.schema.find("percent_control"), self.schema.find("control")
        if target is not None and target.dp in taken:
            self._target = int(taken[target.dp])
        if control is not None and control.dp in taken:
            words = vocabulary(control)
            where = {words[0]: 100, words[1]: 0}
            state = self.schema.first("percent_state", "percent_control")
            current = device.dps.get(state.dp, 0) if state is not None else 0
            self._target = where.get(taken[control.dp], current)

    async def run(self, device: Acting) -> None:
        """Every `tick`: new measurements, and a cover's next step; pushed."""
        while True:
            await asyncio.sleep(self.tick)
            changes = {**self._measure(device), **self._move(device)}
            if changes:
                await device.push(changes, wait=0)

    def _measure(self, device: Acting) -> dict[str, Any]:
        changes = {}
        for code, (_, wobble) in _MEASURED.items():
            spec = self.schema.find(code)
            if spec is None or spec.type is not DpType.INTEGER:
                continue
            old = device.dps.get(spec.dp, _start(spec))
            step = 1 if code == "add_ele" else self._random.randint(-wobble, wobble)
            if wobble or code == "add_ele":
                changes[spec.dp] = _clamp(spec, int(old) + step)
        return changes

    def _move(self, device: Acting) -> dict[str, Any]:
        state = self.schema.first("percent_state")
        if self._target is None or state is None:
            return {}
        current = int(device.dps.get(state.dp, 0))
        if current == self._target:
            self._target = None
            return {}
        step = max(-_COVER_STEP, min(_COVER_STEP, self._target - current))
        changes: dict[str, Any] = {state.dp: current + step}
        work = self.schema.find("work_state")
        if work is not None:
            changes[work.dp] = "opening" if step > 0 else "closing"
        return changes


def simulated_device(
    dev_id: str,
    local_key: str | bytes,
    *,
    schema: DpSchema | None = None,
    category: str | None = None,
    tick: float = 0.5,
    **options: Any,
) -> SimulatedDevice:
    """A SimulatedDevice serving `schema` (or the built-in one of `category`), with
    plausible starting values. `options` go to SimulatedDevice (version, device22, ...)."""
    schema = _schema_of(schema if schema is not None else category or "")
    dps = {**initial_dps(schema), **options.pop("dps", {})}
    behaviour = SchemaBehaviour(schema, tick)
    return SimulatedDevice(dev_id, local_key, dps=dps, behaviour=behaviour, **options)


def simulated_gateway(
    gw_id: str,
    local_key: str | bytes,
    children: Mapping[str, DpSchema | str],
    *,
    tick: float = 0.5,
    **options: Any,
) -> SimulatedGateway:
    """A SimulatedGateway whose children act out their schemas: `children` is cid ->
    schema or built-in category. `options` go to SimulatedGateway (version, dps, ...)."""
    schemas = {cid: _schema_of(given) for cid, given in children.items()}
    return SimulatedGateway(
        gw_id,
        local_key,
        children={cid: initial_dps(schema) for cid, schema in schemas.items()},
        child_behaviours={
            cid: SchemaBehaviour(schema, tick, seed=n)
            for n, (cid, schema) in enumerate(schemas.items())
        },
        **options,
    )


def _schema_of(given: DpSchema | str) -> DpSchema:
    """The schema given, or the built-in one of a category; DpValueError if none."""
    if isinstance(given, DpSchema):
        return given
    schema = builtin_schema(given)
    if schema is None:
        raise DpValueError(f"no built-in category {given!r}")
    return schema
