"""The DP cache (`device.dps`) is bounded: a device that pushes ever-new DP ids cannot grow
it without limit (issue 10, item 7). Pushes still carry every DP they hold."""

from __future__ import annotations

import gc
import logging
import tracemalloc

import pytest
from simkit import DRIVERS, driven, simulator

from tuyaface import MAX_CACHED_DPS

NEW_IDS = 100_000
PER_PUSH = 1_000


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_flood_of_new_dp_ids_keeps_the_cache_at_its_cap(
    driver: str, caplog: pytest.LogCaptureFixture
) -> None:
    with simulator("3.3", "loopback", dps={"1": True}) as sim, driven(driver, sim) as device:
        assert device.status() == {"1": True}
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for start in range(0, NEW_IDS, PER_PUSH):
                batch = {str(dp): dp for dp in range(1000 + start, 1000 + start + PER_PUSH)}
                assert sim.push(batch)
                push = device.next_push(5.0)
                assert push == batch  # the push itself is whole
            sim.device.dps.clear()  # the simulator's own copy is not under test
            del batch, push
            gc.collect()
            retained = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        cached = device.dps
        assert len(cached) == MAX_CACHED_DPS
        assert cached["1"] is True  # known DPs keep their place
        sim.push({"1": False})
        assert device.next_push(5.0) == {"1": False}
        assert device.dps["1"] is False  # ... and are still updated at the cap
    # 100,000 cached entries take some 10 MiB; the capped cache well under one.
    assert retained < 1 << 20, retained
    warnings = [r for r in caplog.records if "DP cache" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING


def test_cached_dp_ids_are_shared_between_devices_and_keep_their_order() -> None:
    # Each answer's JSON makes its own "18"; thousands of caches must not keep a copy each.
    import json

    from tuyaface._dpcache import DpCache

    caches = [DpCache(MAX_CACHED_DPS, "device", lambda: 0.0) for _ in range(2)]
    for cache in caches:
        cache.update({"18": 1, "101": 2})
        cache.update(json.loads('{"1": true, "18": 3, "102": 4}'))
    first, second = (list(cache.values) for cache in caches)
    assert first == second == ["18", "101", "1", "102"]
    assert all(a is b for a, b in zip(first, second, strict=True))
    assert caches[0].values == {"18": 3, "101": 2, "1": True, "102": 4}
