"""Topic names, in zigbee2mqtt's conventions (README "Bridge: topics")."""

from __future__ import annotations

import attrs

__all__ = ["Topics"]


@attrs.frozen
class Topics:
    """`<base>/<name>...` for devices, `<base>/<bridge>/...` for the bridge itself."""

    base: str
    bridge: str = "bridge"

    def state(self, name: str) -> str:
        return f"{self.base}/{name}"

    def set(self, name: str) -> str:
        return f"{self.base}/{name}/set"

    def get(self, name: str) -> str:
        return f"{self.base}/{name}/get"

    def availability(self, name: str) -> str:
        return f"{self.base}/{name}/availability"

    @property
    def bridge_state(self) -> str:
        return f"{self.base}/{self.bridge}/state"

    @property
    def devices(self) -> str:
        return f"{self.base}/{self.bridge}/devices"

    @property
    def errors(self) -> str:
        """Refused /set, /get and requests: `{"device", "topic", "error"}`, not retained."""
        return f"{self.base}/{self.bridge}/error"

    @property
    def requests(self) -> str:
        """The subscription for every request."""
        return f"{self.base}/{self.bridge}/request/+"

    def request(self, what: str) -> str:
        return f"{self.base}/{self.bridge}/request/{what}"

    def response(self, what: str) -> str:
        return f"{self.base}/{self.bridge}/response/{what}"

    def command(self, topic: str) -> tuple[str, str] | None:
        """`<base>/<name>/set` -> (name, "set"); the same for get; else None."""
        prefix = f"{self.base}/"
        if not topic.startswith(prefix):
            return None
        name, _, verb = topic[len(prefix) :].rpartition("/")
        if verb not in ("set", "get") or not name or "/" in name:
            return None
        return name, verb

    def request_kind(self, topic: str) -> str | None:
        """`<base>/<bridge>/request/<what>` -> what; else None."""
        prefix = f"{self.base}/{self.bridge}/request/"
        return topic[len(prefix) :] if topic.startswith(prefix) else None
