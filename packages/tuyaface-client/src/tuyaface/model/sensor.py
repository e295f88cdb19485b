"""`Sensor`: temperature, humidity, battery, contact and motion, whichever it has."""

from __future__ import annotations

from typing import Any

from .handle import Op, run
from .typed import TypedDevice

__all__ = ["Sensor"]


class Sensor(TypedDevice):
    """A battery sensor. Reads only; each is None when the device did not report it."""

    category = "wsdcg"

    def temperature(self) -> Any:
        """°C."""
        return run(self.handle, self._optional("va_temperature", "temp_current"))

    def humidity(self) -> Any:
        """% relative humidity."""
        return run(self.handle, self._optional("va_humidity", "humidity_value"))

    def battery(self) -> Any:
        """Battery in %, or the device's word for it (low / middle / high)."""
        return run(self.handle, self._optional("battery_percentage", "battery_state"))

    def contact(self) -> Any:
        """True when the door or window is open."""
        return run(self.handle, self._optional("doorcontact_state"))

    def motion(self) -> Any:
        """True when motion is reported."""
        return run(self.handle, self._motion())

    def _motion(self) -> Op[bool | None]:
        value = yield from self._optional("pir")
        return None if value is None else value == "pir"
