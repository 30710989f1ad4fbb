"""Every evolution is an episodic memory the self-improvement service can read; a
disabled Evolver costs nothing and records nothing; a running experiment's variant
decides the loop's settings and is recorded."""

from __future__ import annotations

from shared.db import Database
from shared.evolver.schemas import SettingsIn
from shared.evolver.service import SUMMARY_CHARS, evolve
from shared.evolver.settings import update_settings
from tests.conftest import UserClient
from tests.evolver.conftest import critiques, evolutions, model_calls, prompt_text, revision
from tests.support.fake_gemini import FakeGemini

AGENT = "scribe_01"
LONG = "Light, patiently. 📷 " * 60  # 1,200 characters, with characters beyond one byte


def test_an_evolution_is_recorded_with_the_keys_the_statistics_read(
    db: Database, gemini: FakeGemini
) -> None:
    critiques(gemini, 0.5)
    revision(gemini, "Better light, shot patiently.")
    critiques(gemini, 0.9)
    result = evolve("hal", AGENT, LONG)
    (row,) = evolutions(db, "hal")
    context = row["context"]
    assert row["agent_id"] == AGENT and row["outcome"] == "improved"
    assert context["evolutionLog"] == result["evolutionLog"]
    assert context["iterations"] == 1
    assert (context["initialScore"], context["finalScore"]) == (0.5, 0.9)
    assert context["usage"] == {
        "calls": 3,
        "tokens": result["usage"]["inputTokens"] + result["usage"]["outputTokens"],
    }
    assert context["modelCalls"] == 3 and context["evolutionId"] == result["evolutionId"]


def test_evolving_the_same_output_twice_records_two_evolutions(
    db: Database, gemini: FakeGemini
) -> None:
    for _ in range(2):
        critiques(gemini, 0.9)
        evolve("lou", AGENT, LONG)
    assert len(evolutions(db, "lou")) == 2


def test_the_record_keeps_both_outputs_whole_and_bounds_the_summaries_by_characters(
    db: Database, gemini: FakeGemini
) -> None:
    critiques(gemini, 0.9)
    evolve("ivy", AGENT, LONG)
    (row,) = evolutions(db, "ivy")
    assert row["context"]["original"] == LONG and row["context"]["evolved"] == LONG
    assert len(row["output_summary"]) <= SUMMARY_CHARS
    assert row["output_summary"].endswith("…") and "📷" in row["output_summary"]


def test_an_object_output_is_recorded_as_an_object(db: Database, gemini: FakeGemini) -> None:
    post = {"title": "Presets", "content": "Out now.", "words": 2}
    critiques(gemini, 0.9)
    evolve("jon", AGENT, post)
    (row,) = evolutions(db, "jon")
    assert row["context"]["original"] == post and row["context"]["evolved"] == post


def test_the_statistics_count_the_evolution(
    db: Database, gemini: FakeGemini, alice: UserClient
) -> None:
    critiques(gemini, 0.6)
    revision(gemini, "A better post.")
    critiques(gemini, 0.9)
    evolve("alice", "stats_agent", "A post.")
    stats = alice.get("/api/improve/stats/stats_agent").get_json()["evolver"]
    assert stats["evolutions"] == 1 and stats["meanIterations"] == 1
    assert round(stats["meanScoreGain"], 6) == 0.3 and stats["calls"] == 3


def test_a_disabled_evolver_returns_the_original_without_a_model_call_or_a_record(
    db: Database, gemini: FakeGemini
) -> None:
    update_settings("kim", AGENT, SettingsIn(enabled=False))
    result = evolve("kim", AGENT, "Leave me be.")
    assert result["evolved"] == "Leave me be." and result["iterations"] == 0
    assert result["finalScore"] is None and result["stopReason"] == "disabled"
    assert gemini.requests == []
    assert evolutions(db, "kim") == []


def test_a_running_experiments_variant_sets_the_loop_and_is_recorded(
    db: Database, gemini: FakeGemini, alice: UserClient
) -> None:
    variants = [
        {"name": "strict", "evolver": {"maxIterations": 1, "threshold": 0.95}},
        {"name": "strict-too", "evolver": {"maxIterations": 1, "threshold": 0.95},
         "instruction": "Prefer short sentences."},
    ]  # fmt: skip
    made = alice.post(
        "/api/improve/experiment",
        json={"agentId": "exp_agent", "name": "stricter", "variants": variants},
    )
    assert made.status_code == 201, made.get_json()
    critiques(gemini, 0.9)  # passes the default 0.85, not the variant's 0.95
    revision(gemini, "tighter")
    critiques(gemini, 0.92)
    result = evolve("alice", "exp_agent", "A post.")
    assert model_calls(gemini) == 3 and result["stopReason"] == "max iterations"
    assert result["variant"]["name"] in ("strict", "strict-too")
    (row,) = evolutions(db, "alice")[-1:]
    assert row["context"]["variant"] == result["variant"]
    assert row["context"]["settings"]["threshold"] == 0.95
    instruction = result["variant"].get("instruction")
    assert ("Prefer short sentences." in prompt_text(gemini, 0)) == bool(instruction)
