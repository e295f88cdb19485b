"""Hostile input: what a peer that sends junk costs us (issue 10, items 10-12).

Resync: 2 MiB fed in 1 KiB reads to the device role of a `Session` (what a simulated device
runs for each client), three kinds of input of the same size:

* ``garbage``: random bytes (the baseline: almost no frame prefix in it),
* ``bait``: fake frame headers back to back, each claiming about 16 KiB, so every one has to
  wait for its body and then fails,
* ``planted bait``: fake headers 32 bytes apart, each claiming about 16 KiB, with the frame
  suffix planted exactly where each claims to end, so every one reaches the integrity check.

The table shows CPU seconds (median of `--rounds`) and the ratio to garbage. A decoder that
resyncs in time linear in the bytes received keeps every ratio small.

Run: ``python bench/hostile.py [--mib 2] [--rounds 3] [--versions 3.3 3.4 3.5]``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import random
import statistics
import sys
import time
from collections.abc import Callable

from _common import markdown_table

import tuyaface_codec as codec
from tuyaface.session import Role, Session
from tuyaface_codec import Frame, Protocol

LOCAL_KEY = b"0123456789abcdef"
CHUNK = 1024
CLAIMED = 16 * 1024 - 400  # "about 16 KiB", under the decoder's 16 KiB cap
STRIDE = 32


def header(version: Protocol, length: int) -> bytes:
    """A frame header claiming `length` bytes, cut from a real frame of this layout."""
    wire = version.encode_frame(Frame(1, 9), key=LOCAL_KEY, iv=bytes(12))
    return wire[: version.layout.header_size - 4] + length.to_bytes(4, "big")


def garbage(version: Protocol, size: int) -> bytes:
    data = random.Random(size).randbytes(size)
    return data.replace(version.layout.prefix, bytes(4))


def bait(version: Protocol, size: int) -> bytes:
    fake = header(version, CLAIMED)
    return (fake * (size // len(fake) + 1))[:size]


def planted_bait(version: Protocol, size: int) -> bytes:
    """Headers every 32 bytes; each claimed frame ends on a planted suffix."""
    layout = version.layout
    suffix_at = STRIDE - 8
    claimed = CLAIMED
    while (layout.frame_size(header(version, claimed), 1 << 30) - 4) % STRIDE != suffix_at:
        claimed += 1
    block = bytearray(STRIDE)
    block[: layout.header_size] = header(version, claimed)
    block[suffix_at : suffix_at + 4] = layout.suffix
    return (bytes(block) * (size // STRIDE + 1))[:size]


INPUTS: dict[str, Callable[[Protocol, int], bytes]] = {
    "garbage": garbage,
    "bait": bait,
    "planted bait": planted_bait,
}


def device_cpu(version: Protocol, data: bytes) -> float:
    """CPU seconds the device role of a Session spends on `data`, read 1 KiB at a time."""
    session = Session(version, LOCAL_KEY, "bench", role=Role.DEVICE)
    session.start(0.0)
    start = time.process_time()
    for offset in range(0, len(data), CHUNK):
        session.receive_data(data[offset : offset + CHUNK], 0.0)
    return time.process_time() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--versions", nargs="+", default=["3.3", "3.4", "3.5"])
    args = parser.parse_args(argv)
    logging.disable(logging.CRITICAL)
    size = int(args.mib * 1024 * 1024)
    rows = []
    for tag in args.versions:
        version = codec.get_protocol(tag)
        baseline = 0.0
        for name, make in INPUTS.items():
            data = make(version, size)
            cpu = statistics.median(device_cpu(version, data) for _ in range(args.rounds))
            baseline = baseline or cpu
            rows.append([f"{tag} {name}", f"{cpu:.3f}", f"{cpu / baseline:.1f}x"])
    print(f"device-role resync, {args.mib:g} MiB in {CHUNK}-byte reads, pid {os.getpid()}")
    print(markdown_table(["version, input", "CPU s (median)", "vs garbage"], rows))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main(sys.argv[1:])
