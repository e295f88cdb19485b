"""tuyaface 1.x command constants, derived from `tuyaface_codec.Command`.

The module-level ints and `cmd_to_string` are the ones tuyaface 1.x exported. `CMD_TYPE`
is an IntEnum of every command the codec knows, with the 1.x names BIND, RENAME_GW and
RENAME_DEVICE as aliases of SESS_KEY_NEG_START / _RESP / _FINISH (what 3.4 and 3.5 use
commands 3 - 5 for), plus UNKNOWN (-1). New code can use `tuyaface_codec.Command`.
"""

from __future__ import annotations

import enum
from typing import Final

from tuyaface_codec import Command

__all__ = [
    "ACTIVE",
    "AP_CONFIG",
    "AP_CONFIG_NEW",
    "BIND",
    "CMD_TYPE",
    "CONTROL",
    "CONTROL_NEW",
    "DP_QUERY",
    "DP_QUERY_NEW",
    "ENABLE_WIFI",
    "HEART_BEAT",
    "LAN_CHECK_GW_UPDATE",
    "LAN_DELETE_SUB_DEV",
    "LAN_EXPORT_APP_CONFIG",
    "LAN_GW_ACTIVE",
    "LAN_GW_UPDATE",
    "LAN_PUBLISH_APP_CONFIG",
    "LAN_PUBLISH_CLOUD_CONFIG",
    "LAN_PUBLISH_SCENE_PANEL",
    "LAN_REMOVE_GW",
    "LAN_REPORT_SUB_DEV",
    "LAN_SCENE",
    "LAN_SET_GW_CHANNEL",
    "LAN_SUB_DEV_REQUEST",
    "QUERY_WIFI",
    "RENAME_DEVICE",
    "RENAME_GW",
    "SCENE_EXECUTE",
    "STATUS",
    "TOKEN_BIND",
    "UDP",
    "UDP_NEW",
    "UNBIND",
    "cmd_to_string",
]

# The 1.x names for the commands 3.4 / 3.5 use for the session key exchange.
LEGACY_ALIASES: Final = {
    "BIND": Command.SESS_KEY_NEG_START,
    "RENAME_GW": Command.SESS_KEY_NEG_RESP,
    "RENAME_DEVICE": Command.SESS_KEY_NEG_FINISH,
}
UNKNOWN_VALUE: Final = -1

CMD_TYPE = enum.IntEnum(  # type: ignore[misc]  # built from Command, not a literal
    "CMD_TYPE",
    [
        *((command.name, command.value) for command in Command),
        *((name, command.value) for name, command in LEGACY_ALIASES.items()),
        ("UNKNOWN", UNKNOWN_VALUE),
    ],
    module=__name__,
)
"""Every command number, by the codec's names; the 1.x names are aliases."""

cmd_to_string: Final[dict[int, str]] = {
    **{command.value: command.name for command in Command},
    **{command.value: name for name, command in LEGACY_ALIASES.items()},
}
"""Command number -> name, with the 1.x names for 3 - 5 (as 1.x had them)."""

UDP: Final = int(Command.UDP)
AP_CONFIG: Final = int(Command.AP_CONFIG)
ACTIVE: Final = int(Command.ACTIVE)
BIND: Final = int(LEGACY_ALIASES["BIND"])
RENAME_GW: Final = int(LEGACY_ALIASES["RENAME_GW"])
RENAME_DEVICE: Final = int(LEGACY_ALIASES["RENAME_DEVICE"])
UNBIND: Final = int(Command.UNBIND)
CONTROL: Final = int(Command.CONTROL)
STATUS: Final = int(Command.STATUS)
HEART_BEAT: Final = int(Command.HEART_BEAT)
DP_QUERY: Final = int(Command.DP_QUERY)
QUERY_WIFI: Final = int(Command.QUERY_WIFI)
TOKEN_BIND: Final = int(Command.TOKEN_BIND)
CONTROL_NEW: Final = int(Command.CONTROL_NEW)
ENABLE_WIFI: Final = int(Command.ENABLE_WIFI)
DP_QUERY_NEW: Final = int(Command.DP_QUERY_NEW)
SCENE_EXECUTE: Final = int(Command.SCENE_EXECUTE)
UDP_NEW: Final = int(Command.UDP_NEW)
AP_CONFIG_NEW: Final = int(Command.AP_CONFIG_NEW)
LAN_GW_ACTIVE: Final = int(Command.LAN_GW_ACTIVE)
LAN_SUB_DEV_REQUEST: Final = int(Command.LAN_SUB_DEV_REQUEST)
LAN_DELETE_SUB_DEV: Final = int(Command.LAN_DELETE_SUB_DEV)
LAN_REPORT_SUB_DEV: Final = int(Command.LAN_REPORT_SUB_DEV)
LAN_SCENE: Final = int(Command.LAN_SCENE)
LAN_PUBLISH_CLOUD_CONFIG: Final = int(Command.LAN_PUBLISH_CLOUD_CONFIG)
LAN_PUBLISH_APP_CONFIG: Final = int(Command.LAN_PUBLISH_APP_CONFIG)
LAN_EXPORT_APP_CONFIG: Final = int(Command.LAN_EXPORT_APP_CONFIG)
LAN_PUBLISH_SCENE_PANEL: Final = int(Command.LAN_PUBLISH_SCENE_PANEL)
LAN_REMOVE_GW: Final = int(Command.LAN_REMOVE_GW)
LAN_CHECK_GW_UPDATE: Final = int(Command.LAN_CHECK_GW_UPDATE)
LAN_GW_UPDATE: Final = int(Command.LAN_GW_UPDATE)
LAN_SET_GW_CHANNEL: Final = int(Command.LAN_SET_GW_CHANNEL)
