"""Issue 11's start-up: what `import tuyaface` and a first `Device()` cost, checked in a
fresh process. The classes on that path are plain `__slots__` classes, not attrs ones
(docs/design.md §7: creating an attrs class costs 0.1-0.5 ms, and attrs' own import more)."""

from __future__ import annotations

import os
import subprocess
import sys

# a fresh process: import tuyaface, make a first Device on every built-in version
FIRST_DEVICE = """
import sys
import tuyaface
for version in ("3.1", "3.2", "3.3", "3.4", "3.5"):
    tuyaface.Device("dev", "0123456789abcdef", "127.0.0.1", version=version)
"""


def _run(check: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUYAFACE_")}
    return subprocess.run(
        [sys.executable, "-c", FIRST_DEVICE + check],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip


def test_no_client_or_transport_module_defines_an_attrs_class() -> None:
    check = """
import gc
ours = ("tuyaface", "tuyaface_transport")
classes = [t for t in gc.get_objects() if isinstance(t, type)
           and t.__module__.split(".")[0] in ours]
assert len(classes) > 20, [t.__qualname__ for t in classes]  # the search finds classes
attrs_classes = sorted(f"{t.__module__}.{t.__qualname__}" for t in classes
                       if "__attrs_attrs__" in vars(t))
print(len(classes), attrs_classes)
assert not attrs_classes, attrs_classes
"""
    result = _run(check)
    assert result.returncode == 0, result.stderr


def test_import_tuyaface_and_a_first_device_do_not_import_attrs() -> None:
    result = _run("loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('attr', "
                  "'attrs'))\nassert not loaded, loaded\n")  # fmt: skip
    assert result.returncode == 0, result.stderr
