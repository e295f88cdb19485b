"""The `tuyaface` command line (click; only the console script imports this package).

Each command lives in its own module and registers itself on `main`; a new command is a
new module imported below.
"""

from __future__ import annotations

from . import _demo, _simulate  # noqa: F401  (register their commands)
from ._group import main

__all__ = ["main"]
