"""Codec throughput: tuyaface-codec (each crypto backend) beside tinytuya 1.20.0.

Three jobs per protocol version, each measured as frames per second:

* ``encode status``: Python values -> wire bytes of a status request
  (``build_request`` + ``encode_frame``; tinytuya: ``generate_payload`` + ``_encode_message``),
* ``encode set``: the same for a set request with ``{"1": True, "2": 50}``,
* ``decode status``: wire bytes of a ~200-byte status reply -> a dict of DPs
  (``decode_frame`` + ``parse_json_object`` + ``extract_dps``; tinytuya:
  ``unpack_message`` + ``_decode_payload``).

Where ``bench/_floor.py`` has one (3.1, 3.3), a ``decode status, floor`` row follows the
decode row: the least work any pure-Python decoder does for that frame (header unpack,
CRC32, AES-ECB with ``cryptography`` where the version encrypts, json's C scanner), timed
in the same rounds; its rate and paired ratio to tinytuya stand in the ``cryptography``
column, which shows what ratio against tinytuya is reachable at all. A ``decode status,
checked floor`` row follows it: the same least work plus exactly the checks the project
requires of a decoder (suffix, constant-time CRC compare, padding, the codec's JSON checks),
so what is left between it and ours is the codec's own layering. No floors without
``cryptography`` (the pycryptodome-only child has none).

Every round times a fixed number of calls of each contender, in a shuffled order; the table
shows the median rate over the rounds and the median of the per-round ratios to tinytuya.
3.5 frames get a fresh ``os.urandom(12)`` IV each (tinytuya draws its own).
Run: ``python bench/codec.py [--rounds 31] [--number 1000]``.
tinytuya is a benchmark-only dependency: ``pip install tinytuya==1.20.0``.

tinytuya uses cryptography when it is installed, so the main table compares it with both of
our backends. A second table (``--pycryptodome-versions``, default 3.5) runs in a child
process where cryptography cannot be imported: pycryptodome on both sides (target >= 1.0x).
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from _floor import (
    CHECKED_DECODE_FLOOR_WORK,
    CHECKED_DECODE_FLOORS,
    DECODE_FLOOR_WORK,
    DECODE_FLOORS,
    DecodeFloor,
)

import tuyaface_codec as codec
from tuyaface_codec import Frame, RequestKind, extract_dps, parse_json_object

VERSIONS = ("3.1", "3.3", "3.4", "3.5")
FLOOR = "floor"
CHECKED = "checked floor"
# each floor contender: its factories by version, and what each does
FLOORS: dict[str, tuple[dict[str, DecodeFloor], dict[str, str]]] = {
    FLOOR: (DECODE_FLOORS, DECODE_FLOOR_WORK),
    CHECKED: (CHECKED_DECODE_FLOORS, CHECKED_DECODE_FLOOR_WORK),
}
# what the verdict line says each floor is
FLOOR_MEANING = {
    FLOOR: "the most any pure-Python decoder reaches here",
    CHECKED: "the most a decoder making the project's checks reaches here",
}
JOBS = ("encode status", "encode set", "decode status")
# the backends this process can use (the pycryptodome-only child has one)
BACKENDS = tuple(b for b in ("pycryptodome", "cryptography") if b in codec.available_backends())
# Runs this script with cryptography unimportable, for tinytuya and for us alike.
_WITHOUT_CRYPTOGRAPHY = (
    "import os, runpy, sys; sys.modules['cryptography'] = None; sys.argv[1:] = {argv!r}; "
    "sys.path.insert(0, os.path.dirname({path!r})); runpy.run_path({path!r}, run_name='__main__')"
)

DEV_ID = "bf0123456789abcdefgh"
LOCAL_KEY = b"0123456789abcdef"
SESSION_KEY = bytes.fromhex("10cf7bb6385599c4c5297571df6a3b8e")
SET_DPS = {"1": True, "2": 50}
# A DP_QUERY(_NEW) reply of a typical plug; the 3.3 frame is about 200 bytes.
REPLY_JSON = (
    b'{"devId":"bf0123456789abcdefgh","dps":{"1":true,"2":0,"4":912,"5":1025,'
    b'"6":1175,"9":0,"18":152,"19":301,"20":2301,"21":1,"22":568,"23":30,'
    b'"24":17143,"25":1890,"26":0,"38":"memory","40":"relay","41":false}}'
)

Job = Callable[[], object]


def session_key(version: str) -> bytes:
    """The key frames are sealed with: the local key up to 3.3, a session key on 3.4 / 3.5."""
    return SESSION_KEY if codec.get_protocol(version).needs_handshake else LOCAL_KEY


def reply_frame(version: str) -> bytes:
    """Wire bytes of the status reply every decoder in the table reads."""
    protocol = codec.get_protocol(version)
    frame = Frame(seqno=1, cmd=protocol.command_for(RequestKind.STATUS), payload=REPLY_JSON,
                  retcode=0)
    return protocol.encode_frame(frame, key=session_key(version), iv=os.urandom(12))


def ours(version: str, backend: str) -> dict[str, Job]:
    protocol = codec.get_protocol(version, crypto=codec.get_backend(backend))
    key = session_key(version)
    seqnos = itertools.count(1)
    iv_size = protocol.iv_size
    fresh_iv: Callable[[], bytes | None] = (
        (lambda: os.urandom(iv_size)) if iv_size else (lambda: None)
    )
    reply = reply_frame(version)

    def encode(kind: RequestKind, dps: dict[str, Any] | None) -> Job:
        def job() -> bytes:
            frame = protocol.build_request(
                kind, seqno=next(seqnos), dev_id=DEV_ID, t=int(time.time()), dps=dps
            )
            return protocol.encode_frame(frame, key=key, iv=fresh_iv())

        return job

    def decode() -> dict[str, Any]:
        frame = protocol.decode_frame(reply, key=key, from_device=True)
        return extract_dps(parse_json_object(frame.payload))

    return {
        "encode status": encode(RequestKind.STATUS, None),
        "encode set": encode(RequestKind.SET, SET_DPS),
        "decode status": decode,
    }


def tinytuya_jobs(version: str) -> dict[str, Job]:
    """tinytuya's own helpers; its Device object is created without connecting."""
    from tinytuya.core import command_types as ct
    from tinytuya.core.message_helper import unpack_message
    from tinytuya.core.XenonDevice import XenonDevice

    device = XenonDevice(DEV_ID, "127.0.0.1", LOCAL_KEY.decode(), version=float(version))
    device.local_key = session_key(version)  # what its handshake leaves behind on 3.4 / 3.5
    reply = reply_frame(version)
    hmac_key = device.local_key if codec.get_protocol(version).needs_handshake else None

    def decode() -> Any:
        message = unpack_message(reply, hmac_key=hmac_key)
        return device._decode_payload(message.payload)["dps"]

    return {
        "encode status": lambda: device._encode_message(device.generate_payload(ct.DP_QUERY)),
        "encode set": lambda: device._encode_message(device.generate_payload(ct.CONTROL, SET_DPS)),
        "decode status": decode,
    }


def floor_jobs(version: str) -> dict[str, Job]:
    """The least-work decoders (`FLOORS`) of this version's status reply that exist here
    (they use `cryptography`, so none in the pycryptodome-only child)."""
    if "cryptography" not in BACKENDS:
        return {}
    reply = reply_frame(version)

    def job(factory: DecodeFloor) -> Job:
        decode = factory(session_key(version))
        return lambda: decode(reply)  # one Python call around it, as ours and tinytuya's

    return {name: job(factories[version])
            for name, (factories, _work) in FLOORS.items() if version in factories}


def check(version: str) -> None:
    """Both implementations understand each other's frames before anything is timed."""
    expected = extract_dps(parse_json_object(REPLY_JSON))
    theirs = tinytuya_jobs(version)
    assert theirs["decode status"]() == expected, version
    for floor in floor_jobs(version).values():
        assert floor() == expected, version
    for backend in BACKENDS:
        jobs = ours(version, backend)
        assert jobs["decode status"]() == expected, (version, backend)
        protocol = codec.get_protocol(version, crypto=codec.get_backend(backend))
        for job in ("encode status", "encode set"):
            mine = protocol.decode_frame(
                jobs[job](), key=session_key(version), from_device=False  # type: ignore[arg-type]
            )
            other = protocol.decode_frame(
                theirs[job](), key=session_key(version), from_device=False  # type: ignore[arg-type]
            )
            assert mine.cmd == other.cmd, (version, job)


def rate(job: Job, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        job()
    return number / (time.perf_counter() - start)


def measure(jobs: dict[str, Job], rounds: int, number: int) -> dict[str, list[float]]:
    """Frames/s of each implementation, one sample per round. Short rounds, in a shuffled
    order each time, so a burst of load from elsewhere on the machine hits every contender
    alike."""
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    for job in jobs.values():
        rate(job, max(1, number // 10))  # warm caches and lazy imports
    order = list(jobs)
    shuffler = random.Random(0)
    for _ in range(rounds):
        shuffler.shuffle(order)
        for name in order:
            samples[name].append(rate(jobs[name], number))
    return samples


def run(rounds: int, number: int, versions: tuple[str, ...]) -> list[dict[str, Any]]:
    """One row per version and job: median rates, and each backend's ratio to tinytuya as
    the median of the per-round ratios (paired: both ran in the same round)."""
    rows = []
    for version in versions:
        check(version)
        theirs = tinytuya_jobs(version)
        mine = {backend: ours(version, backend) for backend in BACKENDS}
        floors = floor_jobs(version)
        for job in JOBS:
            contenders = {"tinytuya": theirs[job]}
            contenders.update({backend: mine[backend][job] for backend in BACKENDS})
            if job == "decode status":
                contenders.update(floors)
            samples = measure(contenders, rounds, number)
            row: dict[str, Any] = {"version": version, "job": job}
            row.update({name: statistics.median(values) for name, values in samples.items()})
            for backend in BACKENDS:
                row[f"{backend} ratio"] = paired(samples[backend], samples["tinytuya"])
            rows.append(row)
            for name in FLOORS:
                if name in samples:
                    rows.append({
                        "version": version,
                        "job": f"{job}, {name} ({FLOORS[name][1][version]})",
                        "name": name,
                        "tinytuya": row["tinytuya"],
                        "floor": row[name],
                        "floor ratio": paired(samples[name], samples["tinytuya"]),
                        "ours of floor": paired(samples["cryptography"], samples[name]),
                    })
    return rows


def paired(ours: list[float], theirs: list[float]) -> float:
    """Median of the per-round rate ratios (both ran in the same round)."""
    return statistics.median(a / b for a, b in zip(ours, theirs, strict=True))


def is_floor(row: dict[str, Any]) -> bool:
    """A floor row (the decode row it follows holds the floor's rate too)."""
    return "floor ratio" in row


def table(rows: list[dict[str, Any]]) -> str:
    head = "| version | job | tinytuya 1.20.0 | " + " | ".join(f"ours, {b}" for b in BACKENDS)
    lines = [head + " |", "|---|---|---:|" + "---:|" * len(BACKENDS)]
    for row in rows:
        base = row["tinytuya"]
        if is_floor(row):  # its figure in the judged (cryptography) column
            floor = f"{row[FLOOR]:,.0f}/s ({row['floor ratio']:.2f}x)"
            cells = [f"{base:,.0f}/s", *("-" for _ in BACKENDS[:-1]), floor]
        else:
            cells = [f"{base:,.0f}/s"] + [
                f"{row[backend]:,.0f}/s ({row[backend + ' ratio']:.2f}x)" for backend in BACKENDS
            ]
        lines.append(f"| {row['version']} | {row['job']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31, help="rounds per row (median)")
    parser.add_argument("--number", type=int, default=1000, help="calls per round")
    parser.add_argument("--versions", nargs="+", default=list(VERSIONS))
    parser.add_argument("--target", type=float, default=2.0,
                        help="exit 1 when ours with cryptography is below this ratio")
    parser.add_argument("--pycryptodome-versions", nargs="*", default=["3.5"],
                        help="versions of the pycryptodome-on-both-sides table (none: skip it)")
    parser.add_argument("--pycryptodome-target", type=float, default=1.0)
    args = parser.parse_args(argv)
    rows = run(args.rounds, args.number, tuple(args.versions))
    tinytuya_lib = importlib.import_module("tinytuya.core.crypto_helper").CRYPTOLIB
    print(f"Python {sys.version.split()[0]}, {args.rounds} rounds x {args.number} calls, "
          f"median frames per second (paired ratio to tinytuya, which uses {tinytuya_lib})\n")
    print(table(rows), flush=True)
    judged = BACKENDS[-1]  # cryptography, or pycryptodome in the child
    floors = [row for row in rows if is_floor(row)]
    if floors:
        print()
    for row in floors:
        print(f"- {row['version']} {row['job']}: {row['floor ratio']:.2f}x tinytuya, "
              f"{FLOOR_MEANING[row['name']]}; ours ({judged}) "
              f"{row['ours of floor']:.2f}x the {row['name']}'s rate")
    slow = [row for row in rows if not is_floor(row) and row[f"{judged} ratio"] < args.target]
    for row in slow:
        print(f"below {args.target}x ({judged}): {row['version']} {row['job']}", file=sys.stderr)
    if "cryptography" in BACKENDS and args.pycryptodome_versions:
        print()
        child = [f"--rounds={args.rounds}", f"--number={args.number}",
                 f"--target={args.pycryptodome_target}", "--pycryptodome-versions",
                 "--versions", *args.pycryptodome_versions]
        script = _WITHOUT_CRYPTOGRAPHY.format(argv=child, path=__file__)
        if subprocess.run([sys.executable, "-c", script], check=False).returncode:
            return 1
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
