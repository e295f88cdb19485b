"""Crypto backends shared by threads: one key used from many threads at once (a simulator
thread and a `Device` with the same local key, several `Device`s for one device)."""

from __future__ import annotations

import threading

from tuyaface_codec import CryptoBackend

KEY = b"0123456789abcdef"
THREADS = 8
ROUNDS = 500


def test_one_key_from_many_threads_at_once(crypto: CryptoBackend) -> None:
    plain = bytes(range(256)) * 16  # 4 KiB: long enough for the calls to overlap
    sealed = crypto.ecb_encrypt(KEY, plain)
    iv = bytes(12)
    gcm_sealed = crypto.gcm_encrypt(KEY, iv, plain, b"aad")
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work() -> None:
        start.wait()
        try:
            for _ in range(ROUNDS):
                assert crypto.ecb_encrypt(KEY, plain) == sealed
                assert crypto.ecb_decrypt(KEY, sealed) == plain
                assert crypto.gcm_encrypt(KEY, iv, plain, b"aad") == gcm_sealed
                assert crypto.gcm_decrypt(KEY, iv, gcm_sealed, b"aad") == plain
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
