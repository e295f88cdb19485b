"""The release path, checked from outside the source tree (`tox -e release`).

1. `python -m build`: an sdist and a wheel of each package, into a fresh temporary folder.
2. Each archive names its distribution and the one release version, and carries LICENSE.
3. A fresh venv, run from that folder: `pip install --find-links DIST "tuyaface-client[fast]"`
   (no --pre, the package index still on). pip's install report must show our three
   distributions taken from DIST, everything else from the index, and no `tuyaface` (the
   unrelated 1.x on PyPI). Then the venv's `tuyaface --version` and `tuyaface demo`.
4. A second fresh venv with `tuyaface-codec` alone: a frame encodes and decodes there, and
   neither `tuyaface_transport` nor `tuyaface` is importable.
5. The README's first command (install everything from the checkout, `tuyaface demo`), run
   from the repository root with a third fresh venv first on PATH: the demo runs, with the
   `cryptography` backend, from the venv's copy of the packages.

Run by the venv of step 4, `release_check.py --codec-alone` is that venv's smoke test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LICENSE = ROOT / "LICENSE"
DISTRIBUTIONS = ("tuyaface-codec", "tuyaface-transport", "tuyaface-client")
FINAL_VERSION = re.compile(r"\d+\.\d+\.\d+")


class ReleaseCheckError(AssertionError):
    """A release check failed; the message says which and why."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise ReleaseCheckError(message)


@contextmanager
def step(title: str) -> Iterator[None]:
    """Print the step and how long it took."""
    print(f"-- {title}", flush=True)
    started = time.monotonic()
    yield
    print(f"   ok ({time.monotonic() - started:.1f} s)", flush=True)


def clean_env() -> dict[str, str]:
    """The environment minus what would point a child Python back at the source tree."""
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    return {key: value for key, value in os.environ.items() if key not in drop}


def run(command: Sequence[str | Path], cwd: Path, bin_dir: Path | None = None) -> str:
    """Run a command (with `bin_dir` first on PATH); its stdout, or ReleaseCheckError."""
    env = clean_env()
    if bin_dir is not None:
        env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise ReleaseCheckError(
            f"{' '.join(map(str, command))} exited {done.returncode}\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done.stdout


def wheel_name(distribution: str) -> str:
    """The distribution name as archive file names spell it."""
    return distribution.replace("-", "_")


def build(dist: Path, work: Path) -> str:
    """Build every sdist and wheel into `dist`; the one version they share."""
    for distribution in DISTRIBUTIONS:
        source = ROOT / "packages" / distribution
        run([sys.executable, "-m", "build", "--outdir", dist, source], work)
    found = sorted(path.name for path in dist.iterdir())
    versions = {re.split(r"-|\.tar\.gz$", name)[1] for name in found}  # name-VERSION[-...]
    check(len(versions) == 1, f"one version expected across {found}")
    version = versions.pop()
    check(bool(FINAL_VERSION.fullmatch(version)), f"{version} is not a final release version")
    expected = sorted(
        name
        for distribution in DISTRIBUTIONS
        for name in (
            f"{wheel_name(distribution)}-{version}.tar.gz",
            f"{wheel_name(distribution)}-{version}-py3-none-any.whl",
        )
    )
    check(found == expected, f"built {found}, expected {expected}")
    return version


def member(archive: Path, name: str) -> bytes:
    """One file of a wheel or an sdist; ReleaseCheckError when it is not there."""
    try:
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as wheel:
                return wheel.read(name)
        with tarfile.open(archive) as sdist:
            file = sdist.extractfile(name)
            if file is not None:
                return file.read()
    except KeyError:
        pass
    raise ReleaseCheckError(f"{archive.name} has no {name}")


def check_archives(dist: Path, version: str) -> None:
    """Each wheel's metadata names it, its version and MIT; LICENSE is in every archive."""
    license_text = LICENSE.read_bytes()
    for distribution in DISTRIBUTIONS:
        stem = f"{wheel_name(distribution)}-{version}"
        wheel = dist / f"{stem}-py3-none-any.whl"
        metadata = member(wheel, f"{stem}.dist-info/METADATA").decode()
        for line in (f"Name: {distribution}", f"Version: {version}", "License-Expression: MIT"):
            check(line in metadata.splitlines(), f"{wheel.name}: METADATA lacks {line!r}")
        for archive, name in ((wheel, f"{stem}.dist-info/licenses/LICENSE"),
                              (dist / f"{stem}.tar.gz", f"{stem}/LICENSE")):  # fmt: skip
            check(member(archive, name) == license_text, f"{archive.name}: {name} differs")


def make_venv(path: Path, work: Path) -> Path:
    """A fresh venv; its bin folder."""
    run([sys.executable, "-m", "venv", path], work)
    return path / "bin"


def pip_install(bin_dir: Path, dist: Path, work: Path, requirement: str) -> dict[str, str]:
    """Install `requirement` with --find-links DIST; {installed name: where pip took it}."""
    report = work / f"report-{bin_dir.parent.name}.json"
    run([bin_dir / "python", "-m", "pip", "install", "--find-links", dist,
         "--report", report, requirement], work)  # fmt: skip
    installed = json.loads(report.read_text())["install"]
    return {
        item["metadata"]["name"].lower(): item["download_info"]["url"] for item in installed
    }


def check_sources(sources: dict[str, str], ours: Sequence[str], dist: Path, version: str) -> None:
    """Our distributions came from DIST at `version`; nothing else did; no `tuyaface` 1.x."""
    check("tuyaface" not in sources, "pip installed the unrelated `tuyaface` from the index")
    local = {name for name, url in sources.items() if url.startswith(dist.as_uri())}
    check(local == set(ours), f"from {dist}: {sorted(local)}, expected {sorted(ours)}")
    for name in ours:
        check(sources[name].endswith(f"-{version}-py3-none-any.whl"), f"{name}: {sources[name]}")


def check_client(dist: Path, work: Path, version: str) -> None:
    bin_dir = make_venv(work / "venv-client", work)
    sources = pip_install(bin_dir, dist, work, "tuyaface-client[fast]")
    check_sources(sources, DISTRIBUTIONS, dist, version)
    check("cryptography" in sources, "the [fast] extra did not install cryptography")
    expected = f"tuyaface {version} (tuyaface-codec {version}, tuyaface-transport {version})"
    shown = run([bin_dir / "tuyaface", "--version"], work).strip()
    check(shown == expected, f"tuyaface --version printed {shown!r}, expected {expected!r}")
    check_demo(run([bin_dir / "tuyaface", "demo"], work).splitlines())
    where = run([bin_dir / "python", "-c", "import tuyaface; print(tuyaface.__file__)"], work)
    check(Path(where.strip()).is_relative_to(work), f"tuyaface imported from {where}")


def check_demo(lines: Sequence[str]) -> None:
    """`tuyaface demo` drove the simulator on every version it shows."""
    check(bool(lines) and lines[0].startswith("protocol 3.3: simulated device"), f"{lines[:3]}")
    check(any(line.startswith("protocol 3.5:") for line in lines), "demo skipped 3.5")
    check('  push         {"1": true}' in lines, "demo: no push seen")


def check_codec_alone(dist: Path, work: Path, version: str) -> None:
    bin_dir = make_venv(work / "venv-codec", work)
    sources = pip_install(bin_dir, dist, work, "tuyaface-codec")
    check_sources(sources, ["tuyaface-codec"], dist, version)
    print("   " + run([bin_dir / "python", Path(__file__), "--codec-alone"], work).strip())


def readme_command() -> str:
    """The README's first shell block: the one command that installs and runs the demo."""
    found = re.search(r"```sh\n(.*?)\n```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    check(found is not None, "README.md has no sh block")
    assert found is not None
    command = found.group(1)
    check(
        command.startswith("python -m pip install ") and command.endswith(" && tuyaface demo"),
        f"README's first command is not `python -m pip install ... && tuyaface demo`: {command}",
    )
    return command


def check_readme_command(work: Path) -> None:
    bin_dir = make_venv(work / "venv-readme", work)
    lines = run(["bash", "-c", readme_command()], ROOT, bin_dir).splitlines()
    demo = [n for n, line in enumerate(lines) if line.startswith("protocol ")]
    check_demo(lines[demo[0] if demo else len(lines) :])  # after pip's own output
    where = run([bin_dir / "python", "-c", "import tuyaface_codec as c; "
                 "print(c.default_backend().name, c.__file__)"], work).split()  # fmt: skip
    check(where[0] == "cryptography", f"README install: the {where[0]} backend, not [fast]")
    check(Path(where[1]).is_relative_to(work), f"README install: tuyaface_codec in {where[1]}")


def codec_alone() -> None:
    """Inside the codec-only venv: a 3.3 and a 3.5 frame survive encode + decode, and the
    other two packages are absent."""
    import importlib.util

    import tuyaface_codec as tc

    for name in ("tuyaface_transport", "tuyaface"):
        check(importlib.util.find_spec(name) is None, f"{name} is importable")
    for tag, iv in (("3.3", None), ("3.5", bytes(12))):
        protocol = tc.get_protocol(tag)
        request = protocol.build_request(
            tc.RequestKind.SET, seqno=7, dev_id="bf0123456789abcdefgh", t=1700000000,
            dps={"1": True},
        )  # fmt: skip
        wire = protocol.encode_frame(request, key="0123456789abcdef", iv=iv)
        frame = protocol.decode_frame(wire, key="0123456789abcdef", from_device=False)
        check(frame.seqno == 7, f"{tag}: seqno {frame.seqno}")
        dps = tc.extract_dps(tc.parse_json_object(frame.payload))
        check(dps == {"1": True}, f"{tag}: decoded {dps}")
    print(f"tuyaface-codec {tc.__version__} alone: 3.3 and 3.5 frames round-trip "
          f"({tc.default_backend().name}), from {Path(tc.__file__).parent}")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--codec-alone", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.codec_alone:
        codec_alone()
        return 0
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="tuyaface-release-")).resolve()
    check(not work.is_relative_to(ROOT), f"{work} is inside the source tree")
    dist = work / "dist"
    try:
        with step(f"build three sdists and wheels into {dist}"):
            version = build(dist, work)
        with step(f"{version}: names, metadata and LICENSE in all six archives"):
            check_archives(dist, version)
        with step('fresh venv: pip install --find-links DIST "tuyaface-client[fast]"; tuyaface'):
            check_client(dist, work, version)
        with step("fresh venv: pip install --find-links DIST tuyaface-codec, alone"):
            check_codec_alone(dist, work, version)
        with step("fresh venv: the README's first command, from the repository root"):
            check_readme_command(work)
    except ReleaseCheckError as exc:
        print(f"release check FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"release check passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
