"""The `tuyaface` command line (click; only the console script imports this package).

Each command lives in its own module and registers itself on `main`; a new command is a
new module imported below.
"""

from __future__ import annotations

from . import _bridge, _demo, _monitor, _scan, _set, _simulate, _status  # noqa: F401  (register commands)
from ._group import main

__all__ = ["main"]
