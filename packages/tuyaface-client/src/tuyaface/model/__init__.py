"""Devices, not DP numbers (docs/devices.md, docs/design.md §8): DP schemas and value
codecs, where schemas come from, typed devices over `Device` / `AsyncDevice`, DP discovery.

The session and codec stay unaware of meaning: this layer turns raw DPs into named,
scaled values and back, checking every write before any I/O.
"""

from __future__ import annotations

from ._mapping import schema_from_mapping
from .builtin import BUILTIN, CATEGORY_NAMES, builtin_schema, light_layout
from .climate import Climate, Fan
from .colour import Hsv, decode_hsv16, decode_rgb8, encode_hsv16, encode_rgb8, hsv_from_rgb
from .cover import VOCABULARIES, Cover
from .definitions import Definition, DefinitionSet, definition_from_json, load_definitions
from .detect import PROBE_RANGES, detect_dps, probe_chunks
from .errors import DefinitionError, DpValueError
from .handle import DpHandle
from .light import Light
from .loader import schema_for
from .schema import DpSchema, Entity, Reading
from .sensor import Sensor
from .simulation import SchemaBehaviour, initial_dps, simulated_device, simulated_gateway
from .spec import DpSpec, DpType
from .switch import ENERGY_CODES, Plug, Switch
from .typed import TypedDevice

__all__ = [
    "BUILTIN",
    "CATEGORY_NAMES",
    "ENERGY_CODES",
    "VOCABULARIES",
    "Climate",
    "Cover",
    "DpHandle",
    "Fan",
    "Light",
    "Plug",
    "SchemaBehaviour",
    "Sensor",
    "Switch",
    "TypedDevice",
    "PROBE_RANGES",
    "detect_dps",
    "initial_dps",
    "probe_chunks",
    "simulated_device",
    "simulated_gateway",
    "Definition",
    "DefinitionError",
    "DefinitionSet",
    "DpSchema",
    "DpSpec",
    "DpType",
    "DpValueError",
    "Entity",
    "Hsv",
    "Reading",
    "builtin_schema",
    "decode_hsv16",
    "decode_rgb8",
    "definition_from_json",
    "encode_hsv16",
    "encode_rgb8",
    "hsv_from_rgb",
    "light_layout",
    "load_definitions",
    "schema_for",
    "schema_from_mapping",
]
