"""`python -m tuyaface`: the `tuyaface` command."""

from __future__ import annotations

from tuyaface.cli import main

if __name__ == "__main__":
    main(prog_name="tuyaface")
