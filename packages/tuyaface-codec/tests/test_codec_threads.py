"""Crypto backends are safe to share between threads (issue 11, item 6).

16 threads encode and decode frames of 4 KiB and more with the same keys at once, through
`encode_frame` / `decode_frame` and through their own `FrameDecoder`; every result must equal
the bytes a single-threaded run produced.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import pytest
from codec_support import BUILTIN_VERSIONS, protocol

from tuyaface_codec import CryptoBackend, Frame, FrameDecoder, Protocol, RequestKind

THREADS = 16
ROUNDS = 4
SIZES = (4096, 5000, 8191, 12000)
KEYS = (b"0123456789abcdef", b"fedcba9876543210")


class Job(NamedTuple):
    """One frame to seal and open, and the bytes a single-threaded run gave for it."""

    frame: Frame
    key: bytes
    iv: bytes
    wire: bytes


def _payload(size: int, rng: random.Random) -> bytes:
    text = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(size))
    return b'{"dps":{"1":"' + text.encode("ascii") + b'"}}'


def _jobs(version: Protocol) -> list[Job]:
    rng = random.Random(version.version)
    cmd = version.command_for(RequestKind.SET)  # encrypted on every version, 3.1 included
    jobs = []
    for index, size in enumerate(SIZES * 2):
        frame = Frame(index + 1, cmd, _payload(size, rng))
        key, iv = KEYS[index % 2], rng.randbytes(12)
        jobs.append(Job(frame, key, iv, version.encode_frame(frame, key=key, iv=iv)))
    return jobs


def _worker(version: Protocol, jobs: list[Job], seed: int, start: threading.Barrier) -> int:
    """Every job, in a shuffled order, ROUNDS times; returns how many results were checked."""
    order = list(jobs)
    rng = random.Random(seed)
    start.wait()
    checked = 0
    for _ in range(ROUNDS):
        rng.shuffle(order)
        for job in order:
            assert version.encode_frame(job.frame, key=job.key, iv=job.iv) == job.wire
            decoded = version.decode_frame(job.wire, key=job.key, from_device=False)
            assert decoded.payload == job.frame.payload
            checked += 2
        for key in KEYS:
            mine = [job for job in order if job.key == key]
            decoder = FrameDecoder(version, key=key, from_device=False)
            stream = b"".join(job.wire for job in mine)
            frames = []
            for at in range(0, len(stream), 1500):  # a TCP segment at a time
                frames += decoder.feed(stream[at : at + 1500])
            assert [frame.payload for frame in frames] == [job.frame.payload for job in mine]
            checked += len(frames)
    return checked


@pytest.mark.parametrize("tag", BUILTIN_VERSIONS)
def test_threads_share_a_backend_safely(tag: str, crypto: CryptoBackend) -> None:
    version = protocol(tag, crypto)
    jobs = _jobs(version)
    start = threading.Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(_worker, version, jobs, seed, start) for seed in range(THREADS)]
        counts = [future.result() for future in futures]
    per_thread = ROUNDS * (2 * len(jobs) + len(jobs))
    assert counts == [per_thread] * THREADS
