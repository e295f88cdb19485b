"""Run the test suite (or any command) N times in a row, some runs under CPU load.

    python scripts/stability.py --runs 10 --loaded 5
    python scripts/stability.py --runs 2 --loaded 1 --command "python -m tox -e transport"

A loaded run starts one busy-looping Python process per CPU core, each pinned to its
core with `taskset -c N`, and stops them when the run ends (also on Ctrl-C). The first
`--loaded` runs are loaded, then the rest run without the hogs. Prints one row per run
(load, exit code, duration, failing tests from pytest's "FAILED ..." lines) and totals;
exits 1 when any run failed. Standard library only.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

DEFAULT_COMMAND = f"{shlex.quote(sys.executable)} -m tox"
NESTED = "TUYAFACE_STABILITY_RUN"  # set for the command: a nested stability run refuses
_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)
_HOG = "while True: pass"


@dataclass
class Result:
    """One run: whether it was loaded, how it ended, and which tests failed."""

    number: int
    loaded: bool
    code: int
    seconds: float
    failed: list[str] = field(default_factory=list)


def failing_tests(output: str) -> list[str]:
    """The test ids of pytest's short summary lines ("FAILED id - ...", "ERROR id")."""
    return sorted(set(_FAILED.findall(output)))


def cores() -> list[int]:
    """The CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


@contextlib.contextmanager
def cpu_hogs(enabled: bool) -> Iterator[None]:
    """One busy-looping process pinned to each core while the block runs."""
    hogs: list[subprocess.Popen[bytes]] = []
    if enabled:
        pin = shutil.which("taskset")
        for core in cores():
            prefix = [pin, "-c", str(core)] if pin else []
            hogs.append(subprocess.Popen([*prefix, sys.executable, "-c", _HOG]))
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()


def stop(process: subprocess.Popen[str]) -> None:
    """Interrupt the command's whole process group; kill it if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def run_once(number: int, command: Sequence[str], loaded: bool) -> Result:
    """Run `command` once (its output passed through) and collect the result."""
    started = time.monotonic()
    lines: list[str] = []
    with cpu_hogs(loaded):
        with subprocess.Popen(  # its own process group: an interrupt stops all of it
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
            start_new_session=True,
        ) as process:
            assert process.stdout is not None
            try:
                for line in process.stdout:
                    sys.stdout.write(line)
                    lines.append(line)
            except KeyboardInterrupt:
                stop(process)
                raise
        code = process.returncode
    return Result(number, loaded, code, time.monotonic() - started, failing_tests("".join(lines)))


def table(results: Sequence[Result]) -> str:
    """The per-run rows and the totals."""
    rows = [f"{'run':>3}  {'load':<4}  {'exit':>4}  {'seconds':>8}  failing tests"]
    for result in results:
        failed = ", ".join(result.failed) or ("-" if result.code == 0 else "(none parsed)")
        load = "yes" if result.loaded else "no"
        rows.append(
            f"{result.number:>3}  {load:<4}  {result.code:>4}  {result.seconds:>8.1f}  {failed}"
        )
    bad = [result for result in results if result.code != 0]
    loaded_bad = sum(result.loaded for result in bad)
    rows.append(
        f"total: {len(results)} runs, {len(bad)} failed "
        f"({loaded_bad} loaded, {len(bad) - loaded_bad} unloaded), "
        f"{sum(len(result.failed) for result in results)} failing test reports"
    )
    return "\n".join(rows)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs in all (default 10)")
    parser.add_argument("--loaded", type=int, default=5, help="of them under CPU load (5)")
    parser.add_argument(
        "--command", default=DEFAULT_COMMAND, help=f"what to run (default: {DEFAULT_COMMAND})"
    )
    options = parser.parse_args(argv)
    if os.environ.get(NESTED):
        parser.error(f"{NESTED} is set: the command of a stability run started another one")
    os.environ[NESTED] = "1"
    for signum in (signal.SIGINT, signal.SIGTERM):  # either one: stop the hogs, then report
        signal.signal(signum, _interrupt)
    command = shlex.split(options.command)
    results: list[Result] = []
    try:
        for number in range(1, options.runs + 1):
            loaded = number <= options.loaded
            print(f"== run {number}/{options.runs}, load: {'yes' if loaded else 'no'}", flush=True)
            results.append(run_once(number, command, loaded))
    except KeyboardInterrupt:
        print("\ninterrupted: the CPU hogs are stopped", file=sys.stderr)
    print(table(results))
    complete = len(results) == options.runs
    return 0 if complete and all(result.code == 0 for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
