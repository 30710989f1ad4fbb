"""The critique loop's stopping rules and cost bound, against scripted critiques."""

from __future__ import annotations

import pytest

from shared.db import Database
from shared.evolver.schemas import SettingsIn
from shared.evolver.service import evolve
from shared.evolver.settings import update_settings
from tests.evolver.conftest import (
    DRAFT,
    critiques,
    model_calls,
    revision,
    script_with_tokens,
    verdict,
)
from tests.support.fake_gemini import FakeGemini

AGENT = "scribe_01"


def test_an_output_already_good_costs_exactly_one_model_call(
    db: Database, gemini: FakeGemini
) -> None:
    critiques(gemini, 0.9)
    result = evolve("good", AGENT, DRAFT)
    assert model_calls(gemini) == 1
    assert result["evolved"] == DRAFT and result["iterations"] == 0
    assert result["finalScore"] == 0.9 and result["stopReason"] == "passed"
    assert result["usage"]["modelCalls"] == 1 and result["usage"]["calls"] == 1


def test_the_critic_saying_no_rewrite_would_help_stops_after_one_call(
    db: Database, gemini: FakeGemini
) -> None:
    gemini.script_json(verdict(0.4, improve=False, issues=[], suggestions=[]))
    result = evolve("content", AGENT, DRAFT)
    assert model_calls(gemini) == 1
    assert result["evolved"] == DRAFT and result["stopReason"] == "critic satisfied"


def test_a_critic_that_found_issues_but_proposes_no_rewrite_is_not_called_satisfied(
    db: Database, gemini: FakeGemini
) -> None:
    gemini.script_json(verdict(0.4, improve=False))
    result = evolve("no-fix", AGENT, DRAFT)
    assert model_calls(gemini) == 1
    assert result["evolved"] == DRAFT and result["stopReason"] == "critic has no fix"


def test_an_improved_regeneration_that_passes_is_returned_after_three_calls(
    db: Database, gemini: FakeGemini
) -> None:
    critiques(gemini, 0.5)
    revision(gemini, "A year of work, now yours: the new preset pack.")
    critiques(gemini, 0.9)
    result = evolve("improver", AGENT, DRAFT)
    assert model_calls(gemini) == 3
    assert result["evolved"] == "A year of work, now yours: the new preset pack."
    assert result["iterations"] == 1
    assert (result["initialScore"], result["finalScore"]) == (0.5, 0.9)
    assert [e["step"] for e in result["evolutionLog"]] == ["critique", "regenerate", "critique"]


def test_a_regeneration_that_does_not_beat_the_best_score_stops_the_loop(
    db: Database, gemini: FakeGemini
) -> None:
    critiques(gemini, 0.5)
    revision(gemini, "Another take on the same post.")
    critiques(gemini, 0.5)
    result = evolve("flat", AGENT, DRAFT)
    assert model_calls(gemini) == 3
    assert result["evolved"] == DRAFT and result["finalScore"] == 0.5
    assert result["stopReason"] == "no improvement"


def test_the_best_candidate_is_returned_when_the_last_regeneration_scores_lower(
    db: Database, gemini: FakeGemini
) -> None:
    critiques(gemini, 0.5)
    revision(gemini, "first rewrite")
    critiques(gemini, 0.7)
    revision(gemini, "second rewrite")
    critiques(gemini, 0.6)
    result = evolve("best", AGENT, DRAFT)
    assert model_calls(gemini) == 5
    assert result["evolved"] == "first rewrite"
    assert result["finalScore"] == 0.7 and result["iterations"] == 2


@pytest.mark.parametrize("max_iterations", [1, 3])
def test_max_iterations_bounds_the_model_calls_at_twice_plus_one(
    db: Database, gemini: FakeGemini, max_iterations: int
) -> None:
    user = f"bounded{max_iterations}"
    update_settings(user, AGENT, SettingsIn(maxIterations=max_iterations))
    for i in range(max_iterations + 2):
        critiques(gemini, 0.3 + 0.1 * i)
        revision(gemini, f"rewrite {i + 1}")
    result = evolve(user, AGENT, DRAFT)
    assert model_calls(gemini) == 2 * max_iterations + 1
    assert result["usage"]["modelCalls"] == 2 * max_iterations + 1
    assert result["iterations"] == max_iterations
    assert result["evolved"] == f"rewrite {max_iterations}"
    assert result["stopReason"] == "max iterations"


def test_the_threshold_setting_decides_what_is_good_enough(
    db: Database, gemini: FakeGemini
) -> None:
    update_settings("strict", AGENT, SettingsIn(threshold=0.95, maxIterations=1))
    critiques(gemini, 0.9)
    revision(gemini, "sharper")
    critiques(gemini, 0.96)
    result = evolve("strict", AGENT, DRAFT)
    assert model_calls(gemini) == 3
    assert result["evolved"] == "sharper" and result["stopReason"] == "passed"


def test_a_spent_token_budget_stops_the_loop_with_the_best_so_far(
    db: Database, gemini: FakeGemini
) -> None:
    update_settings("budget", AGENT, SettingsIn(tokenBudget=1000))
    script_with_tokens(gemini, verdict(0.5), 400)
    script_with_tokens(gemini, {"content": "rewrite within budget"}, 400)
    script_with_tokens(gemini, verdict(0.6), 400)
    critiques(gemini, 0.1)  # never asked for: the budget is spent before another round
    result = evolve("budget", AGENT, DRAFT)
    assert model_calls(gemini) == 3
    assert result["evolved"] == "rewrite within budget"
    assert result["stopReason"] == "token budget"
    usage = result["usage"]
    assert usage["inputTokens"] == 1200 and usage["outputTokens"] > 0


def test_a_regeneration_identical_to_the_candidate_is_not_critiqued_again(
    db: Database, gemini: FakeGemini
) -> None:
    critiques(gemini, 0.5)
    revision(gemini, DRAFT)
    result = evolve("same", AGENT, DRAFT)
    assert model_calls(gemini) == 2
    assert result["stopReason"] == "unchanged" and result["iterations"] == 0
