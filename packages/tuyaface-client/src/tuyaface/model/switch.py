"""`Switch` (multi-gang) and `Plug` (a switch that measures energy)."""

from __future__ import annotations

from typing import Any

from .handle import Op, run
from .typed import TypedDevice

__all__ = ["ENERGY_CODES", "Plug", "Switch"]

# code -> (reading name, factor from the DP's unit to the reading's)
_ENERGY: dict[str, tuple[str, float]] = {
    "cur_power": ("power_w", 1.0),
    "cur_current": ("current_a", 0.001),  # mA
    "cur_voltage": ("voltage_v", 1.0),
    "add_ele": ("energy_kwh", 1.0),
}
ENERGY_CODES = tuple(_ENERGY)


class Switch(TypedDevice):
    """On / off, one or more gangs: `switch.turn_on(2)`, `switch.is_on()`."""

    category = "kg"

    def _gang(self, gang: int) -> tuple[str, ...]:
        return (f"switch_{gang}", "switch", "switch_led") if gang == 1 else (f"switch_{gang}",)

    def is_on(self, gang: int = 1) -> Any:
        """Whether the gang is on."""
        return run(self.handle, self._value(*self._gang(gang)))

    def turn_on(self, gang: int = 1) -> Any:
        """Switch the gang on."""
        return run(self.handle, self._switch(gang, True))

    def turn_off(self, gang: int = 1) -> Any:
        """Switch the gang off."""
        return run(self.handle, self._switch(gang, False))

    def _switch(self, gang: int, on: bool) -> Op[None]:
        yield from self._known_schema()
        yield from self._write({self._spec(*self._gang(gang)).code: on})


class Plug(Switch):
    """A switch with energy readings in W, A, V and kWh."""

    category = "cz"

    def power(self) -> Any:
        """Power in W."""
        return run(self.handle, self._energy_value("cur_power"))

    def current(self) -> Any:
        """Current in A."""
        return run(self.handle, self._energy_value("cur_current"))

    def voltage(self) -> Any:
        """Voltage in V."""
        return run(self.handle, self._energy_value("cur_voltage"))

    def energy(self) -> Any:
        """Energy used in kWh (as the plug counts it)."""
        return run(self.handle, self._energy_value("add_ele"))

    def refresh_energy(self) -> Any:
        """Ask the plug to measure again (UPDATEDPS), then read `{power_w, current_a,
        voltage_v, energy_kwh}` (those it has)."""
        return run(self.handle, self._refresh())

    def _energy_value(self, code: str) -> Op[float | None]:
        value = yield from self._value(code)
        return None if value is None else value * _ENERGY[code][1]

    def _refresh(self) -> Op[dict[str, float]]:
        schema = yield from self._known_schema()
        ids = [spec.dp for spec in map(schema.find, ENERGY_CODES) if spec is not None]
        yield ("refresh", ids)
        values = yield from self._decoded()
        return {
            name: values[code] * factor
            for code, (name, factor) in _ENERGY.items()
            if isinstance(values.get(code), int | float)
        }
