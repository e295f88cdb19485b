"""Backoff: about 1 s, doubling, capped at 60 s, with bounded jitter."""

from __future__ import annotations

import pytest

from tuyaface import Backoff


def test_doubles_from_one_second_to_the_cap() -> None:
    backoff = Backoff(random=lambda: 0.5)
    assert [backoff.next_delay() for _ in range(9)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    backoff.reset()
    assert backoff.next_delay() == 1


@pytest.mark.parametrize(("draw", "factor"), [(0.0, 0.8), (0.999999, 1.2)])
def test_jitter_moves_each_delay_by_at_most_20_percent(draw: float, factor: float) -> None:
    backoff = Backoff(random=lambda: draw)
    assert backoff.next_delay() == pytest.approx(factor, rel=1e-5)
    assert backoff.next_delay() == pytest.approx(2 * factor, rel=1e-5)


def test_jittered_delays_never_pass_the_cap() -> None:
    backoff = Backoff(random=lambda: 0.999999)
    assert max(backoff.next_delay() for _ in range(100)) == 60
