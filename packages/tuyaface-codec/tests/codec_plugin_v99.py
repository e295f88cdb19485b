"""A protocol plugin that exists only in the tests: version "9.9", assembled from the 3.3 parts
the way an outside package would do it. Nothing in tuyaface_codec knows about it."""

from __future__ import annotations

from tuyaface_codec import Protocol, hookimpl, parts
from tuyaface_codec.versions import v33

PROTOCOL = v33.PROTOCOL.replace(version="9.9", cipher=parts.ClearHeaderEcbCipher(b"9.9"))


@hookimpl
def tuyaface_provide_protocols() -> list[Protocol]:
    return [PROTOCOL]
