"""Start-up cost against tinytuya 1.20, each sample a fresh process:

  import         `import tuyaface` vs `import tinytuya`: the import statement alone, inside
                 a new interpreter (its own start-up left out)
  first Device   the first `Device(...)` after `import tuyaface` (in the same processes)
  status         a whole `python -m tuyaface status` vs `python -m tinytuya get` process
                 (wall time) against one simulated 3.3 device on 127.0.0.1:6668 (tinytuya's
                 command line has no port option)

Each is measured as wall time and as CPU time (the process's own; steadier than wall time
on a loaded machine). Rounds are paired (both contenders back to back, the order
alternating); each row is the median of the rounds. Ratios are tuyaface / tinytuya; the
target is <= 1.0x.

Both contenders import from bytecode, as installed packages do: the script first compiles
the four packages (`compileall`; the `__pycache__` folders are git-ignored). Without that,
an editable install run under PYTHONDONTWRITEBYTECODE=1 (this VM's shells, and tox)
compiles every tuyaface module from source in every fresh process, while pip has compiled
tinytuya: that handicap alone was 40-50 ms of `import tuyaface`.

    python bench/startup.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import resource
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
start, cpu = time.perf_counter(), time.process_time()
import tuyaface
imported, cpu_imported = time.perf_counter(), time.process_time()
tuyaface.Device("{dev_id}", "{key}", "{host}", version="3.3")
created = time.perf_counter()
print(imported - start, cpu_imported - cpu, created - imported)
"""
IMPORT_TINYTUYA = """
import time
start, cpu = time.perf_counter(), time.process_time()
import tinytuya
print(time.perf_counter() - start, time.process_time() - cpu, 0.0)
"""

Sample = tuple[float, float]  # (wall seconds, CPU seconds)


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TUYAFACE_")}


def _timed_script(script: str) -> tuple[float, float, float]:
    result = subprocess.run(
        [sys.executable, "-c", script.format(dev_id=DEV_ID, key=LOCAL_KEY, host=HOST)],
        capture_output=True, text=True, check=True, env=_environment(),
    )  # fmt: skip
    wall, cpu, device = result.stdout.split()
    return float(wall), float(cpu), float(device)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed_process(argv: list[str], folder: str) -> Sample:
    start, cpu = time.perf_counter(), _children_cpu()
    result = subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, cwd=folder, env=_environment()
    )
    elapsed, used = time.perf_counter() - start, _children_cpu() - cpu
    if result.returncode != 0 or "true" not in result.stdout.lower():
        raise RuntimeError(f"{argv[:3]} failed: {result.stdout}{result.stderr}")
    return elapsed, used


def _paired(
    rounds: int, ours: Callable[[], Sample], theirs: Callable[[], Sample]
) -> tuple[Sample, Sample]:
    mine: list[Sample] = []
    other: list[Sample] = []
    for index in range(rounds):
        if index % 2:
            other.append(theirs())
            mine.append(ours())
        else:
            mine.append(ours())
            other.append(theirs())
    return _medians(mine), _medians(other)


def _medians(samples: list[Sample]) -> Sample:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def _row(what: str, ours: float, theirs: float) -> str:
    ratio = ours / theirs
    verdict = "met" if ratio <= TARGET else "missed"
    return f"| {what} | {ours * 1e3:.1f} ms | {theirs * 1e3:.1f} ms | {ratio:.2f}x | {verdict} |"


def _compile_bytecode() -> None:
    """Write the bytecode of both contenders' packages where it is missing (see above)."""
    for name in ("tuyaface", "tuyaface_codec", "tuyaface_transport", "tinytuya"):
        spec = importlib.util.find_spec(name)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            compileall.compile_dir(folder, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="paired rounds (at least 5)")
    rounds = max(5, parser.parse_args().rounds)
    _compile_bytecode()

    first_devices: list[float] = []

    def tuyaface_import() -> Sample:
        wall, cpu, created = _timed_script(IMPORT_TUYAFACE)
        first_devices.append(created)
        return wall, cpu

    import_ours, import_theirs = _paired(
        rounds, tuyaface_import, lambda: _timed_script(IMPORT_TINYTUYA)[:2]
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
    print(_row("`import`, wall", import_ours[0], import_theirs[0]))
    print(_row("`import`, CPU", import_ours[1], import_theirs[1]))
    print(_row("`status` / `get` process, wall", status_ours[0], status_theirs[0]))
    print(_row("`status` / `get` process, CPU", status_ours[1], status_theirs[1]))
    print()
    first = statistics.median(first_devices)
    print(f"first Device() after the import: {first * 1e3:.2f} ms (target < 1 ms: "
          f"{'met' if first < 1e-3 else 'missed'})")  # fmt: skip
    print(json.dumps({
        "import_ratio_wall": round(import_ours[0] / import_theirs[0], 3),
        "import_ratio_cpu": round(import_ours[1] / import_theirs[1], 3),
        "status_ratio_wall": round(status_ours[0] / status_theirs[0], 3),
        "status_ratio_cpu": round(status_ours[1] / status_theirs[1], 3),
        "first_device_ms": round(first * 1e3, 3),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
