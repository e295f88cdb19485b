"""`Cover`: open / close / stop, position in %, inverted direction, and the command
vocabularies of docs/devices.md §2 ("Covers: command words seen in the field")."""

from __future__ import annotations

from typing import Any

from .errors import DpValueError
from .handle import Op, run
from .schema import DpSchema
from .spec import DpSpec, DpType
from .typed import TypedDevice

__all__ = ["VOCABULARIES", "Cover"]

# (open, close, stop). docs/devices.md lists the words, not which number means what: the
# order of the numeric ones is our reading; pass `commands=` when a device differs.
VOCABULARIES: tuple[tuple[str, str, str], ...] = (
    ("open", "close", "stop"),
    ("fopen", "fclose", "stop"),
    ("on", "off", "stop"),
    ("up", "down", "stop"),
    ("ZZ", "FZ", "STOP"),
    ("1", "2", "0"),
    ("01", "02", "00"),
)
_CONTROL = ("control", "mach_operate")
_SET = ("percent_control", "position")
_STATE = ("percent_state", "percent_control", "position")


def vocabulary(spec: DpSpec) -> tuple[Any, Any, Any]:
    """The (open, close, stop) values a control DP takes (a bool DP cannot stop)."""
    if spec.type is DpType.BOOLEAN:
        return True, False, None
    for words in VOCABULARIES:
        if set(words[:2]) <= set(spec.values):
            return words
    return VOCABULARIES[0]


class Cover(TypedDevice):
    """A curtain, blind or shutter. `Cover(handle, schema=None, *, inverted=None,
    commands=None)`: `inverted` True when the device reports 0 as open (None: read its
    `control_back_mode`, "back" meaning inverted); `commands` an (open, close, stop)
    triple overriding the schema's vocabulary."""

    category = "cl"

    def __init__(
        self,
        handle: Any,
        schema: DpSchema | None = None,
        *,
        inverted: bool | None = None,
        commands: tuple[Any, Any, Any] | None = None,
    ) -> None:
        super().__init__(handle, schema)
        self.inverted = inverted
        self.commands = commands

    def open(self) -> Any:
        """Start opening."""
        return run(self.handle, self._command(0))

    def close(self) -> Any:
        """Start closing."""
        return run(self.handle, self._command(1))

    def stop(self) -> Any:
        """Stop moving."""
        return run(self.handle, self._command(2))

    def position(self) -> Any:
        """How far open, in % (100 fully open)."""
        return run(self.handle, self._position())

    def set_position(self, percent: float) -> Any:
        """Move to this % open."""
        return run(self.handle, self._move(percent))

    def _command(self, which: int) -> Op[None]:
        yield from self._known_schema()
        spec = self._spec(*_CONTROL)
        word = (self.commands or vocabulary(spec))[which]
        if word is None:
            raise DpValueError("this cover's control DP is a boolean: it has no stop")
        yield from self._write({spec.code: word})

    def _is_inverted(self, status: dict[str, Any]) -> bool:
        if self.inverted is not None:
            return self.inverted
        mode = self._schema.find("control_back_mode") if self._schema else None
        return mode is not None and status.get(mode.dp) == "back"

    def _position(self) -> Op[float | None]:
        status = yield from self._status()
        spec = self._spec(*_STATE)
        shown = spec.as_percent(status.get(spec.dp))
        if shown is None:
            return None
        return 100 - shown if self._is_inverted(status) else shown

    def _move(self, percent: float) -> Op[None]:
        status = yield from self._status()
        spec = self._spec(*_SET)
        target = 100 - percent if self._is_inverted(status) else percent
        yield from self._write({spec.code: spec.percent(target)})
