"""Model failures degrade the evolution, never the request: a failed critique of the
original returns it unmeasured, a later failure keeps the best so far, and a failure
to record the evolution is reported, not raised."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shared.config import Settings
from shared.db import Database
from shared.evolver.service import evolve
from tests.conftest import UserClient
from tests.evolver.conftest import DRAFT, critiques, evolutions, model_calls, revision
from tests.support.fake_gemini import FakeGemini

AGENT = "scribe_01"
ATTEMPTS = 2  # MODEL_MAX_ATTEMPTS of the ``gemini`` fixture


def _rate_limited(fake: FakeGemini) -> None:
    fake.fail(429, times=ATTEMPTS)


def _garbage(fake: FakeGemini) -> None:
    fake.garbage(times=ATTEMPTS)


def _unparseable(fake: FakeGemini) -> None:
    fake.script_text("I think it is rather good, 8/10.", times=2)  # the reply and its repair


FAILURES: dict[str, Callable[[FakeGemini], None]] = {
    "rate_limited": _rate_limited,
    "retryable": _garbage,
    "invalid_output": _unparseable,
}


@pytest.mark.parametrize("kind", FAILURES)
def test_a_failed_critique_of_the_original_returns_it_with_the_failure_logged(
    db: Database, gemini: FakeGemini, kind: str
) -> None:
    FAILURES[kind](gemini)
    result = evolve(f"critique-{kind}", AGENT, DRAFT)
    assert result["evolved"] == DRAFT and result["iterations"] == 0
    assert result["finalScore"] is None and result["initialScore"] is None
    assert result["stopReason"] == "critique failed"
    (entry,) = result["evolutionLog"]
    assert entry["step"] == "critique" and entry["error"] == kind
    assert result["usage"]["calls"] == ATTEMPTS and result["usage"]["modelCalls"] == 1


def test_a_critique_that_times_out_returns_the_original(
    db: Database, gemini: FakeGemini, settings: Settings
) -> None:
    gemini.configure(settings, MODEL_MAX_ATTEMPTS=2, MODEL_TIMEOUT_SECONDS=0.3)
    gemini.delay(30, times=2)
    result = evolve("slow-critic", AGENT, DRAFT)
    assert result["evolved"] == DRAFT and result["finalScore"] is None
    assert result["evolutionLog"][0]["error"] == "retryable"
    assert "timed out" in result["evolutionLog"][0]["message"]


@pytest.mark.parametrize("kind", FAILURES)
def test_a_failed_regeneration_keeps_the_best_so_far(
    db: Database, gemini: FakeGemini, kind: str
) -> None:
    critiques(gemini, 0.5)
    revision(gemini, "a better draft")
    critiques(gemini, 0.7)
    FAILURES[kind](gemini)
    result = evolve(f"regen-{kind}", AGENT, DRAFT)
    assert result["evolved"] == "a better draft" and result["finalScore"] == 0.7
    assert result["stopReason"] == "regeneration failed"
    assert result["evolutionLog"][-1] == {
        "step": "regenerate",
        "iteration": 2,
        "error": kind,
        "message": result["evolutionLog"][-1]["message"],
    }


def test_a_regeneration_that_times_out_keeps_the_best_so_far(
    db: Database, gemini: FakeGemini, settings: Settings
) -> None:
    gemini.configure(settings, MODEL_MAX_ATTEMPTS=2, MODEL_TIMEOUT_SECONDS=0.3)
    critiques(gemini, 0.5)
    gemini.delay(30, times=2)
    result = evolve("slow-reviser", AGENT, DRAFT)
    assert result["evolved"] == DRAFT and result["finalScore"] == 0.5
    assert result["evolutionLog"][-1]["error"] == "retryable"


def test_a_failed_critique_of_a_regeneration_keeps_the_best_so_far(
    db: Database, gemini: FakeGemini
) -> None:
    critiques(gemini, 0.5)
    revision(gemini, "a better draft")
    critiques(gemini, 0.7)
    revision(gemini, "an uncritiqued draft")
    gemini.fail(429, times=ATTEMPTS)
    result = evolve("late-critic", AGENT, DRAFT)
    assert result["evolved"] == "a better draft" and result["finalScore"] == 0.7
    assert result["stopReason"] == "critique failed"


def test_a_failure_to_record_the_evolution_does_not_fail_the_request(
    db: Database, gemini: FakeGemini, alice: UserClient
) -> None:
    critiques(gemini, 0.9)
    gemini.fail(503, times=ATTEMPTS)  # the embedding of the episodic record
    before = len(evolutions(db, "alice"))
    res = alice.post("/api/oracle/evolve", json={"agentId": AGENT, "output": DRAFT})
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["logged"] is False and res.get_json()["finalScore"] == 0.9
    assert len(evolutions(db, "alice")) == before
    assert model_calls(gemini) == 1


def test_a_model_failure_is_answered_200_by_the_api(
    db: Database, gemini: FakeGemini, alice: UserClient
) -> None:
    gemini.fail(429, times=ATTEMPTS)
    res = alice.post("/api/oracle/evolve", json={"agentId": AGENT, "output": DRAFT})
    assert res.status_code == 200
    body = res.get_json()
    assert body["evolved"] == DRAFT and body["finalScore"] is None
