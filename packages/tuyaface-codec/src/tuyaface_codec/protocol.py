"""`Protocol`: one protocol version, assembled from small parts by its plugin module."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from ._ciphers import PayloadCipher
from ._layout import FrameFields, FrameLayout
from ._padding import pad
from ._value import Value, set_fields
from .crypto.backend import CryptoBackend
from .crypto.select import default_backend
from .errors import DecryptError, FrameError, LocalProtocolError
from .frame import ZERO_HEADER_EXTRA, Frame, request_frame, trusted_frame
from .handshake import SessionKeyRule
from .keys import KEY_SIZE, KeyLike, as_key, require_key
from .requests import DpsLike, RequestBuilder, RequestKind, dump_json

__all__ = ["Broadcast", "HeaderRule", "Protocol"]


class HeaderRule(Value):
    """Which commands carry the 15-byte version header (docs/protocol.md §5.1)."""

    _fields: ClassVar[tuple[str, ...]] = ("bare_commands", "never")
    __slots__ = _fields

    bare_commands: frozenset[int]
    never: bool

    def __init__(self, bare_commands: frozenset[int], never: bool = False) -> None:
        set_fields(self, bare_commands=bare_commands, never=never)

    def carries(self, cmd: int) -> bool:
        return not self.never and cmd not in self.bare_commands


class Broadcast(Value):
    """How a device of this version announces itself over UDP (docs/protocol.md §10)."""

    _fields: ClassVar[tuple[str, ...]] = ("port", "cmd", "layout", "ecb")
    __slots__ = _fields

    port: int
    cmd: int
    layout: FrameLayout
    ecb: bool

    def __init__(self, port: int, cmd: int, layout: FrameLayout, ecb: bool) -> None:
        set_fields(self, port=port, cmd=cmd, layout=layout, ecb=ecb)


class Protocol(Value):
    """Everything version-specific, as data and small parts; no version checks elsewhere.

    `device_echoes_seqno`: replies carry the request's seqno (3.1-3.3); 3.4 / 3.5 devices
    number their frames with their own counter instead (docs/protocol.md §9.1).
    Immutable; `protocol.replace(version=..., cipher=...)` is a changed copy (a new version from
    an existing one). `crypto` is not compared.
    """

    _fields: ClassVar[tuple[str, ...]] = (
        "version",
        "layout",
        "cipher",
        "header_rule",
        "requests",
        "broadcast",
        "session_key_rule",
        "prefers_device22",
        "device_echoes_seqno",
        "crypto",
    )
    __slots__ = (*_fields, "version_tag", "sealed_prefix", "_unpack_frame")
    _uncompared: ClassVar[frozenset[str]] = frozenset({"crypto"})

    version: str
    layout: FrameLayout
    cipher: PayloadCipher
    header_rule: HeaderRule
    requests: RequestBuilder
    broadcast: Broadcast
    session_key_rule: SessionKeyRule | None
    prefers_device22: bool
    device_echoes_seqno: bool
    crypto: CryptoBackend | None
    # `version` as bytes, made once: 25 ns a frame, not 90 (encode set -1.4%)
    version_tag: bytes
    # the cipher's `sealed_prefix` (b"": every payload is opened), looked up once
    sealed_prefix: bytes
    # the layout's `unpack` (fields as a plain tuple), else its `decode`, looked up once
    _unpack_frame: Callable[..., FrameFields]

    def __init__(
        self,
        version: str,
        layout: FrameLayout,
        cipher: PayloadCipher,
        header_rule: HeaderRule,
        requests: RequestBuilder,
        broadcast: Broadcast,
        session_key_rule: SessionKeyRule | None = None,
        prefers_device22: bool = False,
        device_echoes_seqno: bool = True,
        crypto: CryptoBackend | None = None,
    ) -> None:
        set_fields(
            self,
            version=version,
            layout=layout,
            cipher=cipher,
            header_rule=header_rule,
            requests=requests,
            broadcast=broadcast,
            session_key_rule=session_key_rule,
            prefers_device22=prefers_device22,
            device_echoes_seqno=device_echoes_seqno,
            crypto=crypto,
            version_tag=version.encode("ascii"),
            sealed_prefix=getattr(cipher, "sealed_prefix", b""),
            _unpack_frame=getattr(layout, "unpack", layout.decode),
        )

    @property
    def needs_handshake(self) -> bool:
        """True when a session key must be negotiated after connecting (3.4, 3.5)."""
        return self.session_key_rule is not None

    @property
    def iv_size(self) -> int:
        """Bytes of fresh random IV each frame needs (12 on 3.5, else 0)."""
        return self.layout.iv_size

    def backend(self) -> CryptoBackend:
        """The crypto backend bound to this object, else the process default."""
        return self.crypto or default_backend()

    def with_crypto(self, crypto: CryptoBackend) -> Protocol:
        """A copy bound to `crypto`."""
        return self.replace(crypto=crypto)

    def encode_frame(self, frame: Frame, *, key: KeyLike | None, iv: bytes | None = None) -> bytes:
        """Wire bytes for `frame` under `key` (the local key, or the session key after the
        handshake). 3.5 needs `iv`: 12 fresh random bytes per frame."""
        raw_key, crypto = as_key(key), self.crypto or default_backend()
        cmd, body = frame.cmd, frame.payload
        header = b""
        if body and self.header_rule.carries(cmd):
            header = self.version_tag + frame.header_extra
        payload = self.cipher.seal(cmd, header, body, key=raw_key, crypto=crypto)
        return self.layout.encode(
            frame.seqno, cmd, frame.retcode, payload, key=raw_key, iv=iv, crypto=crypto
        )

    def decode_frame(self, data: bytes, *, key: KeyLike | None, from_device: bool) -> Frame:
        """Exactly one whole frame: integrity checked first, then decrypted."""
        # as_key's first test without its call, for the usual raw key (paired: decode 3.1 -1.6%)
        raw_key = key if type(key) is bytes and len(key) == KEY_SIZE else as_key(key)
        crypto = self.crypto or default_backend()
        # bytes(data) gives bytes back as they are, but the call costs 75 ns, this test 18
        # (decode -1.2%)
        if data.__class__ is not bytes:
            data = bytes(data)
        seqno, cmd, retcode, payload = self._unpack_frame(
            data, key=raw_key, from_device=from_device, crypto=crypto
        )
        # a payload the cipher would give back as it is (3.1's JSON): no call (paired: decode
        # 3.1 -1.8%, 3.5 -3.2%, 3.3 / 3.4 within 0.5%); a slice compare costs less than
        # startswith (decode 3.1 / 3.5 -1.1 to -1.5%)
        sealed_prefix = self.sealed_prefix
        if sealed_prefix and payload[: len(sealed_prefix)] != sealed_prefix:
            return trusted_frame(seqno, cmd, payload, retcode, ZERO_HEADER_EXTRA)
        try:
            extra, body = self.cipher.open(payload, key=raw_key, crypto=crypto)
        except DecryptError as exc:
            raise DecryptError(str(exc), seqno=seqno, cmd=cmd) from None
        if extra is None:
            extra = ZERO_HEADER_EXTRA
        elif len(extra) != len(ZERO_HEADER_EXTRA):  # a plugin's tag not 3 characters long
            raise FrameError("header_extra must be exactly 12 bytes")
        return trusted_frame(seqno, cmd, body, retcode, extra)

    def session_key(self, local_key: KeyLike, local_nonce: bytes, remote_nonce: bytes) -> bytes:
        """The 3.4 / 3.5 session key from both handshake nonces."""
        if self.session_key_rule is None:
            raise LocalProtocolError(f"protocol {self.version} has no session key")
        raw_key = require_key(as_key(local_key))
        return self.session_key_rule.derive(raw_key, local_nonce, remote_nonce, self.backend())

    def command_for(self, kind: RequestKind) -> int:
        """The `cmd` that carries a request of this kind on this version."""
        return self.requests.command_for(kind)

    def build_payload(
        self,
        kind: RequestKind,
        *,
        dev_id: str,
        t: int,
        dps: DpsLike | None = None,
        cid: str | None = None,
        dp_ids: Iterable[int | str] | None = None,
    ) -> bytes:
        """The JSON body of a request of `kind`; `t` is the caller's Unix time in seconds."""
        return self.requests.build(kind, dev_id=dev_id, t=t, dps=dps, cid=cid, dp_ids=dp_ids)

    def build_request(
        self,
        kind: RequestKind,
        *,
        seqno: int,
        dev_id: str,
        t: int,
        dps: DpsLike | None = None,
        cid: str | None = None,
        dp_ids: Iterable[int | str] | None = None,
    ) -> Frame:
        """A client frame for a request of `kind`."""
        requests = self.requests
        cmd = requests.command_for(kind)
        payload = requests.build(kind, dev_id=dev_id, t=t, dps=dps, cid=cid, dp_ids=dp_ids)
        return request_frame(seqno, cmd, payload)

    def encode_broadcast(
        self, info: dict[str, object] | bytes, *, iv: bytes | None = None, seqno: int = 0
    ) -> bytes:
        """The UDP announcement a device of this version sends (`info` as a dict or JSON)."""
        from .udp import UDP_KEY  # discovery loads on first use (tuyaface_codec.__getattr__)

        body = info if isinstance(info, bytes) else dump_json(info)
        crypto = self.backend()
        if self.broadcast.ecb:
            body = crypto.ecb_encrypt(UDP_KEY, pad(body))
        return self.broadcast.layout.encode(
            seqno, self.broadcast.cmd, 0, body, key=UDP_KEY, iv=iv, crypto=crypto
        )

    def __repr__(self) -> str:
        return f"<Protocol {self.version}>"
