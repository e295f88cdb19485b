"""The command line's own error: something the user fixes in their setup (exit code 6)."""

from __future__ import annotations

from tuyaface_codec.errors import TuyaError

__all__ = ["ConfigError"]


class ConfigError(TuyaError, ValueError):
    """Inventory or configuration: devices.json, the device selection, a local port."""
