"""The backoff schedule: exponential, jittered within a known band, capped."""

from __future__ import annotations

import random

from shared.model.retry import MAX_BACKOFF_SECONDS, backoff


def test_backoff_doubles_each_attempt_within_its_jitter_band() -> None:
    rng = random.Random(7)
    for attempt in range(1, 6):
        full = 0.5 * 2 ** (attempt - 1)
        delay = backoff(attempt, 0.5, rng)
        assert full / 2 <= delay <= full


def test_backoff_is_jittered() -> None:
    rng = random.Random(7)
    assert len({backoff(3, 1.0, rng) for _ in range(20)}) > 1


def test_backoff_is_capped() -> None:
    assert backoff(30, 1.0, random.Random(1)) <= MAX_BACKOFF_SECONDS
