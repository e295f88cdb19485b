"""R10, deterministic: blocking calls made on a thread while its event loop runs fail.

An audit hook (`sys.addaudithook`, installed once per process: hooks cannot be removed)
and a meta-path finder record a `Violation` when, on a thread whose event loop is
running, one of these happens:

- `open` (builtin `open`, `io.open`, `os.open`): file I/O;
- `import`: a module not yet in `sys.modules` is looked up (the import statement raises
  the audit event "import"; `importlib.import_module` raises none, so the finder sees it);
- `socket.connect`, `socket.sendto`, `socket.sendmsg` on a socket with a timeout other
  than 0 (a blocking socket); asyncio's own sockets are non-blocking and do not count;
- `socket.getaddrinfo`, `socket.gethostbyname`, `socket.gethostbyname_ex`,
  `socket.gethostbyaddr`, `socket.getnameinfo`: name resolution (asyncio runs it in
  an executor thread; numeric addresses it resolves without calling these);
- `time.sleep`, `subprocess.Popen`, `os.system`, `os.posix_spawn`, `os.exec`, `os.fork`.

Left out, and why: `socket.bind` (local, never waits for the network, and asyncio's
`create_server` binds its listening socket while it is still blocking), `socket.__new__`
(creating a socket does not wait), `accept`/`recv`/`send` (no audit events exist; a
blocking socket on the loop is caught when it connects there), `connect` of a datagram
socket to a numeric address (it only picks a route; nothing is sent or awaited: the
discovery asks the kernel which local address faces the network that way), and `open`
by `linecache` / `traceback` (formatting a stack: asyncio's debug mode records one for
every future and task it creates, logging formats one for every exception it logs; each
source file is read once, and the debug-mode cost is the tests' own).

"On the loop thread while a callback runs" is `asyncio._get_running_loop()` returning a
loop: asyncio sets it per thread for the whole of `run_forever`, and everything that thread
runs meanwhile (callbacks, task steps, the loop's own bookkeeping, finalizers triggered
there) holds up every other callback. The one legitimate wait, the selector's `select`,
raises no audit event. Code run through `asyncio.to_thread` / `run_in_executor` runs on
threads without a running loop and is not flagged, as intended; nor is synchronous code
between two `run_until_complete` calls.

Recording is off unless a `guarding()` block is active (the innermost one records), and a
task can opt out of a block of code with `allow_blocking(reason)` (a context variable, so
it covers that task only). The hook never raises: it records, and the guard fails later.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import importlib.abc
import importlib.machinery
import ipaddress
import linecache
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from types import FrameType, ModuleType
from typing import Any

import attrs

__all__ = ["LoopGuard", "Violation", "allow_blocking", "guarding", "install", "no_blocking_calls"]

_ALWAYS = frozenset(
    {
        "open",
        "import",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyname_ex",
        "socket.gethostbyaddr",
        "socket.getnameinfo",
        "time.sleep",
        "subprocess.Popen",
        "os.system",
        "os.posix_spawn",
        "os.exec",
        "os.fork",
    }
)
_IF_BLOCKING_SOCKET = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})
_EVENTS = _ALWAYS | _IF_BLOCKING_SOCKET
_STACK_DEPTH = 16
_STACK_FORMATTING = frozenset({linecache.__file__, traceback.__file__})

_allowed: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "loopguard_allowed", default=None
)


@attrs.frozen
class Violation:
    """One blocking call on a running loop's thread: the event, what it was about, where."""

    event: str
    detail: str
    stack: traceback.StackSummary = attrs.field(eq=False, repr=False)

    def describe(self) -> str:
        """The event, its detail and the stack (innermost call last)."""
        return f"{self.event} {self.detail}\n" + "".join(self.stack.format())


@attrs.define(eq=False)
class LoopGuard:
    """The violations recorded while this guard was the innermost active one."""

    violations: list[Violation] = attrs.field(factory=list)

    def record(self, violation: Violation) -> None:
        last = self.violations[-1] if self.violations else None
        if last is not None and (last.event, last.detail) == (violation.event, violation.detail):
            return  # an import statement: the audit event, then the finder
        self.violations.append(violation)

    def report(self) -> str:
        """Every violation, described."""
        return "\n".join(violation.describe() for violation in self.violations)


_active: list[LoopGuard] = []
_busy = threading.local()  # the hook formats nothing itself, but never re-enters
_installed = False


def _detail(event: str, args: tuple[Any, ...]) -> str | None:
    """What the event was about, or None when it does not count (a non-blocking socket).

    Only names and addresses: never a payload, a command line or an environment."""
    if event in _IF_BLOCKING_SOCKET:
        sock = args[0]
        timeout = sock.gettimeout() if isinstance(sock, socket.socket) else None
        if timeout == 0.0 or (event == "socket.connect" and _picks_a_route(sock, args[1])):
            return None
        return f"on a blocking socket (timeout {timeout}) to {args[1]!r}"
    if event == "open":
        return f"{args[0]!r} mode {args[1]!r}"
    if event in ("import", "time.sleep", "os.fork"):
        return repr(args[0]) if args else ""
    if event.startswith("socket."):
        return repr(args[0])
    if event == "subprocess.Popen":
        return f"executable {args[0]!r}"
    return ""


def _picks_a_route(sock: object, address: object) -> bool:
    """A datagram socket connected to a numeric address: no packet, no wait."""
    if not isinstance(sock, socket.socket) or sock.type != socket.SOCK_DGRAM:
        return False
    host = address[0] if isinstance(address, tuple) and address else None
    try:
        ipaddress.ip_address(str(host))
    except ValueError:
        return False
    return True


def _formats_a_stack(frame: FrameType | None) -> bool:
    """Whether the `open` comes from linecache or traceback, a few calls up."""
    for _ in range(4):  # linecache.updatecache -> tokenize.open -> open
        if frame is None:
            return False
        if frame.f_code.co_filename in _STACK_FORMATTING:
            return True
        frame = frame.f_back
    return False


def _capture(event: str, detail: str) -> None:
    if not _active or _allowed.get() is not None or asyncio._get_running_loop() is None:
        return
    frame = sys._getframe(2)
    if event == "open" and _formats_a_stack(frame):
        return
    stack = traceback.StackSummary.extract(
        traceback.walk_stack(frame), limit=_STACK_DEPTH, lookup_lines=False
    )
    stack.reverse()
    _active[-1].record(Violation(event, detail, stack))


def _hook(event: str, args: tuple[Any, ...]) -> None:
    for probe in _probe:
        probe(event)
    if event not in _EVENTS or not _active or getattr(_busy, "on", False):
        return
    _busy.on = True
    try:
        with contextlib.suppress(Exception):  # never break the audited call
            detail = _detail(event, args)
            if detail is not None:
                _capture(event, detail)
    finally:
        _busy.on = False


class _ImportWatch(importlib.abc.MetaPathFinder):
    """Sees every lookup of a module not yet imported, `importlib.import_module`'s too."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        _hook("import", (fullname,))
        return None


def _sleep_is_audited() -> bool:
    """Whether this interpreter's `time.sleep` raises "time.sleep" (3.12 and later)."""
    seen: list[str] = []
    _probe.append(seen.append)
    try:
        time.sleep(0)
    finally:
        _probe.pop()
    return "time.sleep" in seen


_probe: list[Callable[[str], None]] = []


def _audited_sleep(secs: float) -> None:
    """`time.sleep` that raises the audit event 3.12 raises (3.11 raises none)."""
    sys.audit("time.sleep", secs)
    _sleep(secs)


_sleep = time.sleep


def install() -> None:
    """Install the audit hook and the import watch (once per process; idempotent).

    Before 3.12 `time.sleep` raises no audit event: `time.sleep` is then replaced by a
    function that raises it and sleeps (a `from time import sleep` done earlier escapes)."""
    global _installed
    if _installed:
        return
    sys.addaudithook(_hook)
    sys.meta_path.insert(0, _ImportWatch())
    if not _sleep_is_audited():
        time.sleep = _audited_sleep  # type: ignore[assignment]
    _installed = True


@contextlib.contextmanager
def guarding() -> Iterator[LoopGuard]:
    """Record blocking calls on running loops' threads into the guard yielded."""
    install()
    guard = LoopGuard()
    _active.append(guard)
    try:
        yield guard
    finally:
        _active.remove(guard)


@contextlib.contextmanager
def no_blocking_calls() -> Iterator[LoopGuard]:
    """`guarding()`, and fail with every violation's event and stack when it ends."""
    with guarding() as guard:
        yield guard
    assert not guard.violations, f"blocking call on the event loop (R10):\n{guard.report()}"


@contextlib.contextmanager
def allow_blocking(reason: str) -> Iterator[None]:
    """Let the current task (or thread) block inside this block; `reason` says why."""
    token = _allowed.set(reason)
    try:
        yield
    finally:
        _allowed.reset(token)
