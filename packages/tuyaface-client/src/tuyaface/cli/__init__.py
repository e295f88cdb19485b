"""The `tuyaface` command line (click; only the console script imports this package).

Each command lives in its own module and registers itself on `main`; a new command is a
new module imported below.
"""

from __future__ import annotations

from . import (  # noqa: F401  (register commands)
    _bridge,
    _children,
    _demo,
    _describe,
    _detect,
    _monitor,
    _scan,
    _set,
    _simulate,
    _status,
)
from ._group import main

__all__ = ["main"]
