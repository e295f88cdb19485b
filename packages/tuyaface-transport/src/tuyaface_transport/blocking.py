"""A blocking TCP connection: one socket, TCP_NODELAY, IPv4 or IPv6."""

from __future__ import annotations

import logging
import socket
import struct

from ._closing import Closing
from ._oserror import connect_error, io_error
from ._socket_timeouts import SocketTimeouts
from .errors import TransportClosedError, TransportTimeout

__all__ = ["RECEIVE_SIZE", "TcpTransport"]

logger = logging.getLogger(__name__)

RECEIVE_SIZE = 65536


class TcpTransport(Closing):
    """A connected blocking TCP socket behind the `Transport` interface.

    `send_timeout` bounds `send` when the peer stops reading (None: no bound).
    """

    def __init__(self, sock: socket.socket, *, send_timeout: float | None = None) -> None:
        if sock.type == socket.SOCK_STREAM and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock: socket.socket | None = sock
        self._timeouts = SocketTimeouts(sock, send_timeout)

    @classmethod
    def connect(cls, host: str, port: int, *, timeout: float) -> TcpTransport:
        """Connect to (host, port), IPv4 or IPv6, within `timeout` seconds."""
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as exc:
            raise connect_error(exc, host, port) from exc
        logger.debug("connected to %s:%s", host, port)
        return cls(sock, send_timeout=timeout)

    def _socket(self) -> socket.socket:
        if self._sock is None:
            raise TransportClosedError("this connection is closed: open a new one")
        return self._sock

    def send(self, data: bytes) -> None:
        sock = self._socket()
        self._timeouts.before_send()
        try:
            sock.sendall(data)
        except OSError as exc:
            raise io_error(exc, "sending") from exc

    def receive(self, timeout: float | None) -> bytes:
        sock = self._socket()
        flags = self._timeouts.before_receive(timeout)
        try:
            return sock.recv(RECEIVE_SIZE, flags)
        except (BlockingIOError, TimeoutError):
            raise TransportTimeout(f"nothing received within {timeout} s") from None
        except OSError as exc:
            raise io_error(exc, "receiving") from exc

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def abort(self) -> None:
        """Close with a reset (RST) instead of an orderly end of stream."""
        if self._sock is not None:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._sock is None else f"fd={self._sock.fileno()}"
        return f"<TcpTransport {state}>"
