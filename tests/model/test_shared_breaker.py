"""The circuit breaker's state shared by every instance through the database: an
endpoint one instance found saturated is left out by the others once they next read the
shared state (at most once per ``MODEL_ENDPOINT_SHARE_SECONDS``, not once per call), and
tried again by all once its backoff passed. Each instance here is a Gemini adapter of
its own (its own breaker and copy) over the one test database, as two function
instances would be; one is a separate process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest

from shared import bootstrap, clock
from shared.config import Settings
from shared.model.breaker import Breaker, Endpoint
from shared.model.breaker_store import DatabaseBreakerState
from shared.model.gemini import GeminiModel
from tests.conftest import JWT_SECRET, ROOT, test_settings
from tests.model.test_endpoints import FIRST, SECOND, models_asked
from tests.support.fake_gemini import FakeGemini

SHARE, BACKOFF = 5, 60


@pytest.fixture(scope="module")
def settings(db_url: str, fake_gemini_server: FakeGemini) -> Settings:
    s = fake_gemini_server.settings(
        test_settings(db_url),
        GEMINI_MODELS=SECOND,
        MODEL_BACKOFF_SECONDS=0,
        MODEL_ENDPOINT_BACKOFF_SECONDS=BACKOFF,
        MODEL_ENDPOINT_SHARE_SECONDS=SHARE,
    )
    bootstrap.configure(s)
    return s


class CountedState(DatabaseBreakerState):
    """The database's shared state, counting how often it is read."""

    def __init__(self) -> None:
        self.reads = 0

    def read(self, names: Sequence[str], now: datetime) -> dict[str, datetime]:
        self.reads += 1
        return super().read(names, now)


def instance(settings: Settings, state: DatabaseBreakerState | None = None) -> GeminiModel:
    return GeminiModel(settings, shared=state or DatabaseBreakerState())


@pytest.fixture(autouse=True)
def closed(db: Any) -> None:
    with db.transaction() as tx:
        tx.execute("DELETE FROM model_endpoint_breakers")


def test_an_endpoint_one_instance_found_saturated_is_left_out_by_another(
    settings: Settings, fake_gemini: FakeGemini, fixed_clock: clock.FixedClock
) -> None:
    one, other = instance(settings), instance(settings)
    fake_gemini.fail(429)
    one.generate_text("hi")  # FIRST answers 429, the retry goes to SECOND

    other.generate_text("hi")
    other.generate_text("again")

    assert models_asked(fake_gemini) == [FIRST, SECOND, SECOND, SECOND]
    assert other.breaker.open() == [Endpoint(FIRST)]


def test_an_instance_reads_the_shared_state_once_per_period_not_once_per_call(
    settings: Settings, fake_gemini: FakeGemini, fixed_clock: clock.FixedClock
) -> None:
    state = CountedState()
    other = instance(settings, state)
    other.generate_text("read now")  # FIRST
    one = instance(settings)
    fake_gemini.fail(429)
    one.generate_text("hi")  # FIRST answers 429: left out everywhere from now on

    for _ in range(4):
        other.generate_text("with the copy it read")
    assert models_asked(fake_gemini)[-4:] == [SECOND, FIRST, SECOND, FIRST]
    assert state.reads == 1

    fixed_clock.advance(timedelta(seconds=SHARE))
    other.generate_text("read again")
    other.generate_text("and left out")

    assert models_asked(fake_gemini)[-2:] == [SECOND, SECOND]
    assert state.reads == 2


def test_every_instance_tries_the_endpoint_again_once_its_backoff_passed(
    settings: Settings, fake_gemini: FakeGemini, fixed_clock: clock.FixedClock
) -> None:
    one, other = instance(settings), instance(settings)
    fake_gemini.fail(503)
    one.generate_text("hi")
    other.generate_text("left out")

    fixed_clock.advance(timedelta(seconds=BACKOFF + 1))
    other.generate_text("later")

    assert models_asked(fake_gemini) == [FIRST, SECOND, SECOND, FIRST]
    assert other.breaker.open() == [] and one.breaker.open() == []


def test_an_endpoint_answering_while_every_one_was_out_is_back_in_for_every_instance(
    settings: Settings, fake_gemini: FakeGemini, fixed_clock: clock.FixedClock
) -> None:
    one = instance(settings)
    fake_gemini.fail(429, times=2)
    one.generate_text("both saturated")  # 429 from each, then FIRST, first to reopen, answers

    assert models_asked(fake_gemini) == [FIRST, SECOND, FIRST]
    assert instance(settings).breaker.open() == [Endpoint(SECOND)]


def test_an_instance_whose_shared_state_is_unreadable_goes_on_with_its_own(
    fixed_clock: clock.FixedClock,
) -> None:
    class Unreachable:
        def read(self, names: Sequence[str], now: datetime) -> dict[str, datetime]:
            raise ConnectionError("database unreachable")

        def opened(self, name: str, until: datetime) -> None:
            raise ConnectionError("database unreachable")

        def closed(self, name: str) -> None:
            raise ConnectionError("database unreachable")

    breaker = Breaker(["a", "b"], backoff_seconds=60, shared=Unreachable(), share_seconds=5)
    assert breaker.pick() == "a"
    breaker.failed("a")

    assert [breaker.pick(), breaker.pick()] == ["b", "b"]
    assert breaker.open() == ["a"]


def test_an_endpoint_another_process_found_saturated_is_left_out_here(
    db_url: str, settings: Settings, fake_gemini: FakeGemini
) -> None:
    fake_gemini.fail(429)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": db_url,
        "JWT_SECRET": JWT_SECRET,
        **{k: str(v) for k, v in fake_gemini.env().items()},
        "GEMINI_MODELS": SECOND,
        "MODEL_BACKOFF_SECONDS": "0",
        "MODEL_ENDPOINT_BACKOFF_SECONDS": "3600",  # outlasts the test on any clock
        "SEGP_HOME": str(ROOT / ".pytest-tmp" / "shared-breaker"),
    }
    script = "from shared.model import get_model; get_model().generate_text('hi')"
    subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True, timeout=300)
    assert models_asked(fake_gemini) == [FIRST, SECOND]

    here = instance(settings)
    here.generate_text("hi")
    here.generate_text("again")

    assert models_asked(fake_gemini) == [FIRST, SECOND, SECOND, SECOND]
