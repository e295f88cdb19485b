"""A local MQTT broker process on 127.0.0.1, for the tests and `tuyaface bridge --demo`:
Debian's mosquitto when installed, else amqtt (a Python broker from PyPI).

Blocking (it starts a process and writes a config file): use it outside the event loop.
"""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from tuyaface_codec.errors import TuyaError

from .._running import Running

__all__ = ["LocalBroker", "broker_kind"]

HOST = "127.0.0.1"
START_WAIT = 20.0
MOSQUITTO_PATHS = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")


def _mosquitto() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    return next((path for path in MOSQUITTO_PATHS if Path(path).exists()), None)


def _amqtt() -> str | None:
    found = shutil.which("amqtt")
    if found:
        return found
    beside = Path(sys.executable).parent / "amqtt"
    return str(beside) if beside.exists() else None


def broker_kind() -> str | None:
    """"mosquitto", "amqtt", or None when neither is installed."""
    if _mosquitto():
        return "mosquitto"
    if _amqtt():
        return "amqtt"
    return None


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class LocalBroker(Running):
    """`with LocalBroker() as broker:` a broker on 127.0.0.1:`broker.port`, persistent
    sessions kept across `restart()` (mosquitto's persistence file)."""

    def __init__(
        self,
        kind: str | None = None,
        port: int | None = None,
        *,
        tls: tuple[Path, Path, Path] | None = None,
    ) -> None:
        """`tls`: (CA file, certificate file, key file): mosquitto listens with TLS only."""
        chosen = kind or broker_kind()
        if chosen is None:
            raise TuyaError(
                "no MQTT broker found: install mosquitto (apt-get install mosquitto) "
                "or amqtt (pip install amqtt)"
            )
        self.kind = chosen
        self.host = HOST
        self.port = port or free_port()
        self._folder = tempfile.TemporaryDirectory(prefix="tuyaface-broker-")
        self._process: subprocess.Popen[bytes] | None = None
        self.tls = tls
        if tls is not None and chosen != "mosquitto":
            raise TuyaError("a TLS test broker needs mosquitto")
        self._config = self._write_config(Path(self._folder.name))

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"

    def _write_config(self, folder: Path) -> Path:
        if self.kind == "mosquitto":
            path = folder / "mosquitto.conf"
            tls = "" if self.tls is None else (
                f"cafile {self.tls[0]}\ncertfile {self.tls[1]}\nkeyfile {self.tls[2]}\n"
            )
            path.write_text(
                f"listener {self.port} {HOST}\n{tls}allow_anonymous true\n"
                # as root, mosquitto would switch to its own user, which cannot write here
                f"user {getpass.getuser()}\n"
                f"persistence true\npersistence_location {folder}/\n"
                "autosave_interval 1\nmax_queued_messages 100000\n"
                "max_inflight_messages 0\nset_tcp_nodelay true\nlog_dest none\n",
                encoding="utf-8",
            )
        else:
            path = folder / "amqtt.yaml"
            path.write_text(
                f"listeners:\n  default:\n    type: tcp\n    bind: {HOST}:{self.port}\n"
                "plugins:\n  amqtt.plugins.authentication.AnonymousAuthPlugin:\n"
                "    allow_anonymous: true\n",
                encoding="utf-8",
            )
        return path

    def start(self) -> None:
        """Start the process and wait until it accepts connections."""
        program = _mosquitto() if self.kind == "mosquitto" else _amqtt()
        assert program is not None
        self._process = subprocess.Popen(
            [program, "-c", str(self._config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_WAIT
        while True:
            if self._process.poll() is not None:
                raise TuyaError(f"{self.kind} exited at start (code {self._process.returncode})")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise TuyaError(f"{self.kind} did not listen on {HOST}:{self.port}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the process (SIGTERM: mosquitto saves its persistent sessions)."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self, *, forget: bool = False) -> None:
        """Stop, then start again on the same port; `forget`: without the saved sessions
        and retained messages (a broker that lost its disk)."""
        self.stop()
        if forget:
            for saved in Path(self._folder.name).glob("*.db"):
                saved.unlink()
        self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        super().__exit__(exc_type, exc, tb)
        self._folder.cleanup()
