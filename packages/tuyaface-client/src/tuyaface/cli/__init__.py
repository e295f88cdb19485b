"""The `tuyaface` command line (click; only the console script imports this package).

Each command lives in its own module and registers itself on `main` when imported; a new
command is a new module named in `_group.COMMAND_MODULES`, imported when the command runs or
is listed.
"""

from __future__ import annotations

from ._group import main

__all__ = ["main"]
