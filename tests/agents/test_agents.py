"""The built-in agents on the offline model: each action answers deterministically
from what it is given, says that it is a heuristic, and fails (never raises) on a
payload it cannot work with or a model failure."""

from __future__ import annotations

from typing import Any

import pytest

from shared.agents.base import AgentResult, AgentTask
from shared.agents.kit import ModelAgent, Output
from shared.agents.registry import agents, get_agent
from shared.config import Settings
from shared.model.port import ModelFailure, Usage

SOUL = {
    "version": 3,
    "semantic_fingerprint": {
        "tone": "formal, precise",
        "vocabulary": ["craft", "signal"],
        "avoid": ["hustle", "crushing it"],
        "audience": "working designers",
    },
    "exemplars": ["Good craft is a signal of care for the reader."],
}


def run(agent_id: str, action: str, payload: dict[str, Any], context: str = "") -> AgentResult:
    agent = get_agent(agent_id)
    assert agent is not None
    return agent.execute(AgentTask("alice", action, payload, context))


def test_the_builtin_agents_are_registered_with_their_actions(settings: Settings) -> None:
    found = {a.id: sorted(a.actions) for a in agents().values()}
    assert found["oracle_core"] == ["decompose", "delegate", "route"]
    assert found["scribe_01"] == ["generate", "summarize", "transform"]
    assert found["brandguard_01"] == ["check"]
    assert found["scryer_01"] == ["analyze", "trends"]
    assert all(a.description for a in agents().values())


def test_scribe_generates_a_draft_on_the_topic(settings: Settings) -> None:
    result = run("scribe_01", "generate", {"topic": "Pricing design work", "format": "thread"})
    assert result.success and result.usage.calls == 1
    out = result.output
    assert out["title"] == "Pricing design work" and out["format"] == "thread"
    assert "pricing" in out["content"].lower() and out["id"]
    assert any("no language model" in n for n in out["notes"])
    again = run("scribe_01", "generate", {"topic": "Pricing design work", "format": "thread"})
    assert again.output["content"] == out["content"]


def test_scribe_keeps_words_the_soul_avoids_out_of_its_points(settings: Settings) -> None:
    out = run("scribe_01", "generate", {"topic": "hustle culture burnout", "soul": SOUL}).output
    points = [line for line in out["content"].splitlines() if line[:1].isdigit()]
    assert points and not any("hustle" in p for p in points)
    assert "tone requested: formal, precise" in out["notes"]


def test_scribe_transforms_what_it_recognises_and_says_when_it_does_not(
    settings: Settings,
) -> None:
    text = "First point. Second point. Third point."
    bullets = run("scribe_01", "transform", {"content": text, "instruction": "make bullet points"})
    assert bullets.output["content"] == "- First point.\n- Second point.\n- Third point."
    unknown = run("scribe_01", "transform", {"content": text, "instruction": "make it sing"})
    assert unknown.output["content"] == text
    assert any("not recognised" in n for n in unknown.output["notes"])


def test_scribe_summarises_within_the_word_budget(settings: Settings) -> None:
    text = " ".join(f"Sentence number {i} has exactly seven words." for i in range(20))
    out = run("scribe_01", "summarize", {"content": text, "words": 20}).output
    assert 0 < len(out["content"].split()) <= 20


def test_a_missing_payload_field_fails_the_task_naming_it(settings: Settings) -> None:
    result = run("scribe_01", "generate", {})
    assert not result.success and "'topic'" in (result.error or "")
    assert not run("scribe_01", "teleport", {"topic": "x"}).success


def test_brandguard_scores_on_brand_content_high(settings: Settings) -> None:
    out = run(
        "brandguard_01",
        "check",
        {"content": "Good craft is a signal of care for the reader of the page.", "soul": SOUL},
    ).output
    assert out["alignmentScore"] == 1.0 and out["aligned"] is True and out["issues"] == []
    assert out["soulVersion"] == 3


def test_brandguard_lists_each_issue_and_lowers_the_score(settings: Settings) -> None:
    out = run(
        "brandguard_01",
        "check",
        {"content": "We're crushing it! Total hustle mode, folks!", "soul": SOUL},
    ).output
    kinds = sorted(i["kind"] for i in out["issues"])
    assert kinds == ["avoid", "avoid", "style", "tone", "vocabulary"]
    assert 0 <= out["alignmentScore"] < 0.7 and out["aligned"] is False


def test_brandguard_without_a_soul_fails_saying_so(settings: Settings) -> None:
    result = run("brandguard_01", "check", {"content": "anything"})
    assert not result.success and "no Digital Soul" in (result.error or "")


def test_scryer_analyses_the_material_it_is_given(settings: Settings) -> None:
    material = (
        "Newsletter signups grew 40% after the redesign. "
        "Signups from the pricing page were strong. Open rates improved."
    )
    out = run("scryer_01", "analyze", {"material": material}).output
    assert "signups" in out["themes"]
    assert out["keyPoints"][0].startswith("Newsletter signups grew")
    assert out["sentiment"] == "positive" and 0.2 <= out["confidence"] <= 0.6
    assert out["summary"].startswith("offline heuristic analysis")


def test_scryer_computes_trends_exactly_without_the_model(settings: Settings) -> None:
    series = [
        {"label": d, "value": v}
        for d, v in zip("abcdefgh", [10, 11, 12, 11, 13, 14, 80, 15], strict=True)
    ]
    result = run("scryer_01", "trends", {"series": series})
    out = result.output
    assert result.usage.calls == 0
    assert out["direction"] == "up" and out["change"] == 5 and out["changeRatio"] == 0.5
    assert out["max"] == {"label": "g", "value": 80} and out["outliers"] == [
        {"label": "g", "value": 80}
    ]
    bad = run("scryer_01", "trends", {"series": [1, "two"]})
    assert not bad.success and "series[1]" in (bad.error or "")


@pytest.mark.parametrize(
    "huge", [10**400, 1.7e308, -1e16], ids=["400-digits", "near-max-float", "past-bound"]
)
def test_scryer_refuses_a_point_too_large_to_compute_with(settings: Settings, huge: Any) -> None:
    """Before, a 400-digit integer raised OverflowError inside the agent (an ERROR with a
    traceback) and values near the largest float made the change infinite."""
    result = run("scryer_01", "trends", {"series": [1, huge]})
    assert not result.success and "series[1]" in (result.error or "")


def test_scryer_trends_at_the_bound_stay_finite(settings: Settings) -> None:
    out = run("scryer_01", "trends", {"series": [-1e15, 1e15] * 5_000}).output
    assert out["change"] == 2e15 and out["mean"] == 0.0


@pytest.mark.parametrize(
    ("request_text", "agent_id", "action"),
    [
        ("Write a thread about pricing", "scribe_01", "generate"),
        ("Is this caption on brand?", "brandguard_01", "check"),
        ("Summarize last week's comments", "scribe_01", "summarize"),
        ("Analyze these metrics from the launch", "scryer_01", "analyze"),
        ("Show the trend of my followers over time", "scryer_01", "trends"),
        ("Something with no cue at all", "scribe_01", "generate"),
    ],
)
def test_oracle_routes_a_request_to_an_existing_agent(
    settings: Settings, request_text: str, agent_id: str, action: str
) -> None:
    out = run("oracle_core", "route", {"request": request_text}).output
    assert (out["agentId"], out["action"]) == (agent_id, action)
    assert out["reason"].startswith("offline rule")


def test_oracle_decomposes_a_request_into_chained_workflow_steps(settings: Settings) -> None:
    out = run(
        "oracle_core",
        "decompose",
        {
            "request": "Analyze my launch metrics, then write a post about it, then check it is on brand"
        },
    ).output
    assert [(s["agentId"], s["action"]) for s in out["steps"]] == [
        ("scryer_01", "analyze"),
        ("scribe_01", "generate"),
        ("brandguard_01", "check"),
    ]
    steps = out["workflowSteps"]
    assert steps[2]["config"]["content"] == "{{steps.step2.output.content}}"


def test_oracle_delegates_to_the_agent_it_picks(settings: Settings) -> None:
    result = run("oracle_core", "delegate", {"request": "Write a post about studio lighting"})
    assert result.success and result.usage.calls == 2
    assert result.output["routedTo"]["agentId"] == "scribe_01"
    assert "lighting" in result.output["output"]["content"].lower()


class _Failing(ModelAgent):
    id = "failing_01"
    actions = frozenset({"go"})

    def go(self, task: AgentTask) -> Output:
        raise ModelFailure("quota exhausted", kind="rate_limited", usage=Usage(calls=3))


def test_a_model_failure_is_a_failed_result_not_an_exception() -> None:
    result = _Failing().execute(AgentTask("alice", "go", {}))
    assert not result.success and result.usage.calls == 3
    assert result.error == "failing_01.go: the model failed (rate_limited): quota exhausted"
