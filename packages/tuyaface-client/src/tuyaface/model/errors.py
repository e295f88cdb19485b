"""The model layer's errors (children of the project's TuyaError)."""

from __future__ import annotations

from tuyaface_codec.errors import TuyaError

__all__ = ["DefinitionError", "DpValueError"]


class DpValueError(TuyaError, ValueError):
    """A value the DP's schema does not accept (out of range, not one of the enum's
    values, a read-only DP, an unknown code). Raised before any I/O: nothing was sent."""


class DefinitionError(TuyaError, ValueError):
    """A definition file or mapping that cannot be read as a schema."""
