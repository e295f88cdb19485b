"""Start-up cost against tinytuya 1.20, each sample a fresh process:

  import         `import tuyaface` vs `import tinytuya`: time of the import statement,
                 measured inside a new interpreter (its own start-up left out)
  first Device   the first `Device(...)` after `import tuyaface` (in the same processes)
  status         a whole `python -m tuyaface status` vs `python -m tinytuya get` process
                 (wall time) against one simulated 3.3 device on 127.0.0.1:6668 (tinytuya's
                 command line has no port option)

Rounds are paired (both contenders back to back, the order alternating); each row is the
median of the rounds. Ratios are tuyaface / tinytuya; the target is <= 1.0x.

    python bench/startup.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from tuyaface import SimulatedDevice

DEV_ID = "bf0123456789abcdefgh"
LOCAL_KEY = "0123456789abcdef"
HOST = "127.0.0.1"
PORT = 6668  # tinytuya always connects there
TARGET = 1.0

IMPORT_TUYAFACE = """
import time
start = time.perf_counter()
import tuyaface
imported = time.perf_counter()
tuyaface.Device("{dev_id}", "{key}", "{host}", version="3.3")
created = time.perf_counter()
print(imported - start, created - imported)
"""
IMPORT_TINYTUYA = """
import time
start = time.perf_counter()
import tinytuya
print(time.perf_counter() - start, 0.0)
"""


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TUYAFACE_")}


def _timed_script(script: str) -> tuple[float, float]:
    result = subprocess.run(
        [sys.executable, "-c", script.format(dev_id=DEV_ID, key=LOCAL_KEY, host=HOST)],
        capture_output=True, text=True, check=True, env=_environment(),
    )  # fmt: skip
    first, second = result.stdout.split()
    return float(first), float(second)


def _timed_process(argv: list[str], folder: str) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, cwd=folder, env=_environment()
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0 or "true" not in result.stdout.lower():
        raise RuntimeError(f"{argv[:3]} failed: {result.stdout}{result.stderr}")
    return elapsed


def _paired(rounds: int, ours: Callable[[], float], theirs: Callable[[], float]) -> tuple[
    float, float
]:
    mine: list[float] = []
    other: list[float] = []
    for index in range(rounds):
        if index % 2:
            other.append(theirs())
            mine.append(ours())
        else:
            mine.append(ours())
            other.append(theirs())
    return statistics.median(mine), statistics.median(other)


def _verdict(ratio: float) -> str:
    return "met" if ratio <= TARGET else "missed"


def _row(what: str, ours: float, theirs: float) -> str:
    ratio = ours / theirs
    return (
        f"| {what} | {ours * 1e3:.1f} ms | {theirs * 1e3:.1f} ms | {ratio:.2f}x | "
        f"{_verdict(ratio)} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="paired rounds (at least 5)")
    rounds = max(5, parser.parse_args().rounds)

    first_devices: list[float] = []

    def tuyaface_import() -> float:
        imported, created = _timed_script(IMPORT_TUYAFACE)
        first_devices.append(created)
        return imported

    import_ours, import_theirs = _paired(
        rounds, tuyaface_import, lambda: _timed_script(IMPORT_TINYTUYA)[0]
    )

    ids = ["--id", DEV_ID, "--key", LOCAL_KEY, "--ip", HOST, "--version", "3.3"]
    simulated = SimulatedDevice(DEV_ID, LOCAL_KEY, version="3.3", dps={"1": True})
    with tempfile.TemporaryDirectory() as folder, simulated.serve_in_thread(HOST, PORT):
        status_ours, status_theirs = _paired(
            rounds,
            lambda: _timed_process(["-m", "tuyaface", "status", *ids, "--json"], folder),
            lambda: _timed_process(["-m", "tinytuya", "get", *ids], folder),
        )

    python = sys.version.split()[0]
    print(f"start-up, fresh processes, median of {rounds} paired rounds (Python {python})")
    print()
    print("| what | tuyaface | tinytuya 1.20 | ratio | target <= 1.0x |")
    print("| --- | --- | --- | --- | --- |")
    print(_row("`import`", import_ours, import_theirs))
    print(_row("`status` / `get` process", status_ours, status_theirs))
    print()
    first = statistics.median(first_devices)
    print(f"first Device() after the import: {first * 1e3:.2f} ms (target < 1 ms: "
          f"{'met' if first < 1e-3 else 'missed'})")  # fmt: skip
    print(json.dumps({
        "import_ratio": round(import_ours / import_theirs, 3),
        "status_ratio": round(status_ours / status_theirs, 3),
        "first_device_ms": round(first * 1e3, 3),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
