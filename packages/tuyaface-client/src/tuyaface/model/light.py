"""`Light`: on / off, brightness and colour temperature in %, colour as HSV or RGB, mode
and scene, over the v2, v1 and dimmer-only layouts (docs/devices.md §2)."""

from __future__ import annotations

from typing import Any

from .colour import Hsv, hsv_from_rgb
from .handle import Op, run
from .typed import TypedDevice

__all__ = ["Light"]

_SWITCH = ("switch_led", "switch_1", "switch")
_BRIGHT = ("bright_value_v2", "bright_value")
_TEMP = ("temp_value_v2", "temp_value")
_COLOUR = ("colour_data_v2", "colour_data")
_MODE = ("work_mode",)
_SCENE = ("scene_data_v2", "scene_data")


class Light(TypedDevice):
    """A light bulb, strip or dimmer: `await light.set_brightness(50)`."""

    category = "dj"

    def is_on(self) -> Any:
        """Whether it is on."""
        return run(self.handle, self._value(*_SWITCH))

    def turn_on(self) -> Any:
        """Switch on."""
        return run(self.handle, self._set(_SWITCH, True))

    def turn_off(self) -> Any:
        """Switch off."""
        return run(self.handle, self._set(_SWITCH, False))

    def brightness(self) -> Any:
        """Brightness in % of the light's range."""
        return run(self.handle, self._percent(*_BRIGHT))

    def set_brightness(self, percent: float) -> Any:
        """Set the brightness, 0-100 % of the light's range (0 % is its dimmest)."""
        return run(self.handle, self._write_percent(percent, *_BRIGHT))

    def colour_temp(self) -> Any:
        """Colour temperature in %, 0 warm to 100 cold."""
        return run(self.handle, self._percent(*_TEMP))

    def set_colour_temp(self, percent: float) -> Any:
        """Set the colour temperature, 0 (warm) to 100 % (cold), in white mode."""
        return run(self.handle, self._white(percent))

    def colour(self) -> Any:
        """The colour as `Hsv` (None when the light has not reported one)."""
        return run(self.handle, self._value(*_COLOUR))

    def set_colour_hsv(self, hue: float, saturation: float, value: float) -> Any:
        """Colour mode, hue 0-360, saturation and value 0-1."""
        return run(self.handle, self._colour(Hsv(hue, saturation, value)))

    def set_colour_rgb(self, red: int, green: int, blue: int) -> Any:
        """Colour mode, red / green / blue 0-255."""
        return run(self.handle, self._colour(hsv_from_rgb(red, green, blue)))

    def mode(self) -> Any:
        """The work mode (white, colour, scene, music)."""
        return run(self.handle, self._value(*_MODE))

    def set_mode(self, mode: str) -> Any:
        """Set the work mode (one of the schema's values)."""
        return run(self.handle, self._set(_MODE, mode))

    def set_scene(self, scene: str) -> Any:
        """Scene mode with this scene string (the device's own format, sent as is)."""
        return run(self.handle, self._with_mode("scene", _SCENE, scene))

    def _set(self, codes: tuple[str, ...], value: Any) -> Op[None]:
        yield from self._known_schema()
        yield from self._write({self._spec(*codes).code: value})

    def _with_mode(self, mode: str, codes: tuple[str, ...], value: Any) -> Op[None]:
        schema = yield from self._known_schema()
        values = {self._spec(*codes).code: value}
        work_mode = schema.first(*_MODE)
        if work_mode is not None:
            values[work_mode.code] = mode
        yield from self._write(values)

    def _white(self, percent: float) -> Op[None]:
        yield from self._known_schema()
        spec = self._spec(*_TEMP)
        yield from self._with_mode("white", _TEMP, spec.percent(percent))

    def _colour(self, colour: Hsv) -> Op[None]:
        yield from self._with_mode("colour", _COLOUR, colour)
