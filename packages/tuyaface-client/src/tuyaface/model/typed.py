"""`TypedDevice`, the base of the typed devices: a handle plus its schema.

Every public method returns its result for a blocking handle (`Device`) and an awaitable
of it for an asyncio one (`AsyncDevice`): the same names either way. Writes are checked
against the schema before anything is sent (DpValueError). Without a schema, the built-in
one for the class's category is used, fitted to the device's status (a light's layout).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .builtin import builtin_schema
from .errors import DpValueError
from .handle import DpHandle, Op, run
from .schema import DpSchema, Reading
from .spec import DpSpec

__all__ = ["TypedDevice"]


class TypedDevice:
    """A device seen through its schema. `TypedDevice(handle, schema=None)`."""

    category: ClassVar[str] = ""

    def __init__(self, handle: DpHandle, schema: DpSchema | None = None) -> None:
        self.handle = handle
        self._schema = schema

    def __repr__(self) -> str:
        return f"<{type(self).__name__} over {self.handle!r}>"

    @property
    def schema(self) -> DpSchema | None:
        """The schema in use (None until the first call when none was given)."""
        return self._schema

    # -- the generic API ---------------------------------------------------------------

    def state(self) -> Any:
        """Every DP as `{code: user value}`."""
        return run(self.handle, self._decoded())

    def readings(self) -> Any:
        """Every DP as a `Reading` (code, scaled value, unit, raw value)."""
        return run(self.handle, self._readings())

    def set_values(self, values: Mapping[str, Any]) -> Any:
        """Write named user values, e.g. `{"bright_value_v2": 500}`, in one request."""
        return run(self.handle, self._write(dict(values)))

    # -- building blocks for the subclasses (generators: no I/O of their own) ----------

    def _fit(self, status: Mapping[str, Any]) -> DpSchema:
        if self._schema is None:
            self._schema = builtin_schema(self.category, status) or DpSchema((), "none")
        return self._schema

    def _known_schema(self) -> Op[DpSchema]:
        """The schema; when it is not known yet, from the cached DPs or a status read."""
        if self._schema is not None:
            return self._schema
        status = self.handle.dps or (yield ("status", None))
        return self._fit(status)

    def _status(self) -> Op[dict[str, Any]]:
        status: dict[str, Any] = yield ("status", None)
        self._fit(status)
        return status

    def _decoded(self) -> Op[dict[str, Any]]:
        status = yield from self._status()
        return self._fit(status).decode(status)

    def _readings(self) -> Op[list[Reading]]:
        status = yield from self._status()
        return self._fit(status).readings(status)

    def _value(self, *codes: str) -> Op[Any]:
        """The user value of the first of `codes` the schema has (None if the device did
        not report it)."""
        status = yield from self._status()
        spec = self._spec(*codes)
        return spec.decode(status[spec.dp]) if spec.dp in status else None

    def _optional(self, *codes: str) -> Op[Any]:
        """Like `_value`, None also when the schema has none of `codes`."""
        status = yield from self._status()
        spec = self._fit(status).first(*codes)
        return None if spec is None or spec.dp not in status else spec.decode(status[spec.dp])

    def _percent(self, *codes: str) -> Op[float | None]:
        status = yield from self._status()
        spec = self._spec(*codes)
        return spec.as_percent(status.get(spec.dp))

    def _spec(self, *codes: str) -> DpSpec:
        schema = self._schema or DpSchema(())
        spec = schema.first(*codes)
        if spec is None:
            raise DpValueError(
                f"this {type(self).__name__.lower()} has none of {', '.join(codes)} "
                f"(schema: {schema.source})"
            )
        return spec

    def _write(self, values: dict[str, Any]) -> Op[None]:
        """Check, then send: an invalid value raises before anything is sent."""
        schema = yield from self._known_schema()
        dps = schema.encode(values)
        yield ("set", dps)

    def _write_percent(self, percent: float, *codes: str) -> Op[None]:
        yield from self._known_schema()
        spec = self._spec(*codes)
        yield from self._write({spec.code: spec.percent(percent)})
