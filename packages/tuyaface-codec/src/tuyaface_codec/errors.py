"""The tuyaface error tree, shared by all three packages (docs/design.md §6)."""

from __future__ import annotations

__all__ = [
    "ArgumentTypeError",
    "CodecError",
    "ConnectError",
    "DecryptError",
    "DeviceBusyError",
    "DeviceError",
    "FrameError",
    "HandshakeError",
    "IntegrityError",
    "InvalidArgument",
    "LocalProtocolError",
    "NetworkError",
    "PayloadError",
    "ProtocolError",
    "RemoteProtocolError",
    "Timeout",
    "TuyaError",
    "UnknownBackendError",
    "UnknownProtocolError",
]


class TuyaError(Exception):
    """Root of every error tuyaface raises on purpose."""


class CodecError(TuyaError, ValueError):
    """Bytes that cannot be turned into a frame or payload."""


class FrameError(CodecError):
    """Bad framing: prefix, suffix, length field or size cap."""


class IntegrityError(CodecError):
    """CRC32, HMAC or GCM tag check failed; nothing of the frame was used."""


class DecryptError(CodecError):
    """Ciphertext that does not decrypt or unpad: usually a wrong local key or version.

    Raised while decoding a frame, it names that frame's `seqno` and `cmd` (its integrity
    check passed, so they can be trusted): a device answers such a frame by them.
    """

    def __init__(self, message: str, *, seqno: int | None = None, cmd: int | None = None):
        super().__init__(message)
        self.seqno = seqno
        self.cmd = cmd


class PayloadError(CodecError):
    """Decrypted payload that is not the JSON the protocol promises."""


class UnknownProtocolError(TuyaError, LookupError):
    """No protocol plugin registered for that version tag."""


class ProtocolError(TuyaError):
    """The conversation went wrong."""


class LocalProtocolError(ProtocolError):
    """We were asked to do something the protocol does not allow."""


class InvalidArgument(LocalProtocolError, ValueError):
    """A call got an argument it cannot use: a key that is not 16 characters, a timeout of
    0, a port of 70000, a version such as "3". Also a ValueError, and a LocalProtocolError
    as these errors were before it existed."""


class ArgumentTypeError(InvalidArgument, TypeError):
    """An argument of the wrong type, such as a port given as "6668". Also a TypeError."""


class RemoteProtocolError(ProtocolError):
    """The peer broke the protocol."""


class HandshakeError(ProtocolError):
    """The 3.4 / 3.5 session key negotiation failed."""


class DeviceError(TuyaError):
    """The device answered with an error (error retcode, "data unvalid", ...)."""

    def __init__(self, message: str, *, retcode: int | None = None) -> None:
        super().__init__(message)
        self.retcode = retcode


class NetworkError(TuyaError, OSError):
    """The connection to the device failed."""


class ConnectError(NetworkError):
    """The device could not be reached."""


class DeviceBusyError(NetworkError):
    """The device dropped us at once: another client holds its only connection slot."""


class Timeout(NetworkError, TimeoutError):
    """No answer within the time allowed."""


class UnknownBackendError(UnknownProtocolError):
    """No crypto backend plugin of that name (an UnknownProtocolError, as it always was)."""
