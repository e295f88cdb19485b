"""The bridge's errors, in the project's tree (`TuyaError`)."""

from __future__ import annotations

from tuyaface_codec.errors import TuyaError

__all__ = ["BridgeConfigError", "BridgeInputError"]


class BridgeConfigError(TuyaError, ValueError):
    """bridge.yaml, devices.json, the MQTT URL or --shard is wrong: the message says how."""


class BridgeInputError(TuyaError, ValueError):
    """An MQTT message the bridge refuses (bad JSON, unknown name, bad value): nothing was
    sent to any device."""
