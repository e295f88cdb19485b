"""`Climate` (a thermostat) and `Fan`."""

from __future__ import annotations

from typing import Any

from .handle import Op, run
from .spec import DpType
from .typed import TypedDevice

__all__ = ["Climate", "Fan"]

_POWER = ("switch", "switch_1")


class _Powered(TypedDevice):
    """Something with a main switch."""

    def is_on(self) -> Any:
        """Whether it is on."""
        return run(self.handle, self._value(*_POWER))

    def turn_on(self) -> Any:
        """Switch on."""
        return run(self.handle, self._one(_POWER, True))

    def turn_off(self) -> Any:
        """Switch off."""
        return run(self.handle, self._one(_POWER, False))

    def mode(self) -> Any:
        """The mode."""
        return run(self.handle, self._value("mode"))

    def set_mode(self, mode: str) -> Any:
        """Set the mode (one of the schema's values)."""
        return run(self.handle, self._one(("mode",), mode))

    def _one(self, codes: tuple[str, ...], value: Any) -> Op[None]:
        yield from self._known_schema()
        yield from self._write({self._spec(*codes).code: value})


class Climate(_Powered):
    """A thermostat: target and current temperature (°C as the device counts), mode."""

    category = "wk"

    def target_temperature(self) -> Any:
        """The set temperature."""
        return run(self.handle, self._value("temp_set"))

    def set_target_temperature(self, degrees: float) -> Any:
        """Set the target temperature (checked against the schema's range and step)."""
        return run(self.handle, self._one(("temp_set",), degrees))

    def current_temperature(self) -> Any:
        """The measured temperature."""
        return run(self.handle, self._value("temp_current"))


class Fan(_Powered):
    """A fan: speed (an integer, or one of an enum's values) and oscillation."""

    category = "fs"

    def speed(self) -> Any:
        """The speed as the device states it."""
        return run(self.handle, self._value("fan_speed", "fan_speed_enum"))

    def set_speed(self, speed: Any) -> Any:
        """Set the speed: a number in the schema's range, or an enum's value."""
        return run(self.handle, self._speed(speed))

    def oscillating(self) -> Any:
        """Whether it oscillates."""
        return run(self.handle, self._value("switch_horizontal"))

    def set_oscillation(self, on: bool) -> Any:
        """Oscillate, or not."""
        return run(self.handle, self._one(("switch_horizontal",), on))

    def _speed(self, speed: Any) -> Op[None]:
        yield from self._known_schema()
        spec = self._spec("fan_speed", "fan_speed_enum")
        value = str(speed) if spec.type is DpType.ENUM else speed
        yield from self._write({spec.code: value})
