"""Nothing blocks the event loop: in a fresh process, creating and using the first AsyncDevice
inside a running loop performs no import, opens no file and scans no entry points on the
loop's thread (sys.addaudithook watches), and `await tuyaface.load_plugins()` scans them in
an executor thread."""

from __future__ import annotations

import subprocess
import sys

# Audit events that mean the loop thread touched the disk or the import system.
WATCHED = ("import", "open", "os.listdir", "os.scandir", "glob.glob")

# What both scripts start with: record the watched events the loop's thread causes.
AUDIT_HOOK = """WATCHED = {watched!r}
seen = []
loop_thread = None

def audit(event, args):
    if loop_thread is not None and event in WATCHED and threading.get_ident() == loop_thread:
        seen.append((event, str(args[0])))

sys.addaudithook(audit)
"""

FIRST_ASYNC_DEVICE = """
import asyncio, sys, threading
import tuyaface, tuyaface_codec.plugins as codec
from tuyaface import AsyncDevice, SimulatedDevice
from tuyaface.plugins import make_plugin_manager

{audit_hook}
key = "0123456789abcdef"
# the simulators get their own manager and serve from their own threads and loops
simulators = [
    SimulatedDevice("dev" + v, key, version=v, dps={{"1": True}},
                    plugin_manager=make_plugin_manager(load_entry_points=False))
    .serve_in_thread(transport="tcp").__enter__()
    for v in ("3.3", "3.4", "3.5")
]
assert codec._default is None, "the process registry was built before the loop"

async def main():
    global loop_thread
    loop_thread = threading.get_ident()
    for sim in simulators:
        version = sim.device.version
        async with AsyncDevice("dev" + version, key, sim.host, port=sim.port,
                               version=version) as device:
            assert await device.status() == {{"1": True}}
            await device.set_status({{"1": False}})
    loop_thread = None

asyncio.run(main())
for sim in simulators:
    sim.__exit__(None, None, None)
assert not seen, seen
assert "importlib.metadata" not in sys.modules, "entry points were scanned"
print("clean")
"""

LOAD_PLUGINS = """
import asyncio, sys, threading
import tuyaface
from tuyaface.plugins import protocol_versions

{audit_hook}
async def main():
    global loop_thread
    # asyncio imports its default executor's modules on first use: start it as any
    # application already has, so that what is watched below is tuyaface's own doing
    await asyncio.get_running_loop().run_in_executor(None, int)
    loop_thread = threading.get_ident()
    try:
        tuyaface.Device("dev", "0123456789abcdef", "127.0.0.1", version="3.9")
    except tuyaface.UnknownProtocolError as exc:
        assert "load_plugins" in str(exc), exc  # a miss on the loop says what to do
    else:
        raise AssertionError("an outside version was found without loading the plugins")
    await tuyaface.load_plugins()
    # AsyncDevice is not loaded by `import tuyaface`: load_plugins' executor job loads it
    device = tuyaface.AsyncDevice("dev", "0123456789abcdef", "127.0.0.1", version="3.9")
    assert device.version == "3.9" and "3.9" in protocol_versions()
    loop_thread = None

asyncio.run(main())
assert not seen, seen
assert "importlib.metadata" in sys.modules  # the scan ran, in the executor
print("clean")
"""


def run(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script.format(audit_hook=AUDIT_HOOK.format(watched=WATCHED))],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_first_async_device_on_a_running_loop_imports_and_opens_nothing() -> None:
    result = run(FIRST_ASYNC_DEVICE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"


def test_load_plugins_scans_in_an_executor() -> None:
    import pytest

    pytest.importorskip("tuyaface_plugin_v39")  # the installed plugin providing "3.9"
    result = run(LOAD_PLUGINS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"
