"""Workflow agent steps pass an agent's ``content`` through the Evolver when the user's
setting for that agent is enabled; other outputs, and disabled agents, are untouched."""

from __future__ import annotations

from typing import Any

import pytest

from shared.db import Database
from shared.evolver.schemas import SettingsIn
from shared.evolver.settings import update_settings
from shared.memory.soul import ingest
from shared.workflows.agent_step import run_agent_step
from tests.evolver.conftest import critiques, evolutions, revision
from tests.support.fake_gemini import FakeGemini

TOPIC = {"topic": "synergy in the studio"}


@pytest.fixture(scope="module", autouse=True)
def souls(db: Database) -> None:
    for user in ("olga", "pete"):
        ingest(user, {"tone": "calm", "avoid": ["synergy"], "vocabulary": ["light"]})


def _generated(db: Database, user: str) -> list[dict[str, Any]]:
    with db.transaction() as tx:
        return tx.all(
            "SELECT event_data FROM usage_events WHERE user_id = %s "
            "AND event_type = 'content.generated' ORDER BY created_at, id",
            (user,),
        )


def test_a_content_agents_output_is_evolved_before_it_is_delivered(db: Database) -> None:
    result = run_agent_step("olga", "scribe_01", "generate", TOPIC)
    assert result.success
    assert "synergy" not in result.output["content"].lower()
    evolution = result.output["evolution"]
    assert evolution["finalScore"] > evolution["initialScore"]
    (row,) = evolutions(db, "olga")
    assert row["agent_id"] == "scribe_01"
    assert row["context"]["evolved"] == result.output["content"]
    assert row["context"]["source"] == "workflow"
    assert _generated(db, "olga")[-1]["event_data"]["content"] == result.output["content"]


def test_a_disabled_evolver_leaves_the_content_as_the_agent_wrote_it(db: Database) -> None:
    update_settings("pete", "scribe_01", SettingsIn(enabled=False))
    result = run_agent_step("pete", "scribe_01", "generate", TOPIC)
    assert "synergy" in result.output["content"].lower()
    assert "evolution" not in result.output
    assert evolutions(db, "pete") == []


def test_an_output_without_content_is_not_evolved(db: Database) -> None:
    result = run_agent_step("olga", "scryer_01", "analyze", {"material": "Signups grew."})
    assert result.success and "evolution" not in result.output
    assert [r["agent_id"] for r in evolutions(db, "olga")] == ["scribe_01"]


def test_the_evolutions_model_calls_are_added_to_the_steps_usage(
    db: Database, gemini: FakeGemini
) -> None:
    gemini.script_json({"title": "Light", "content": "Synergy, everywhere.", "notes": []})
    critiques(gemini, 0.5)
    revision(gemini, "Light, everywhere.")
    critiques(gemini, 0.9)
    result = run_agent_step("quinn", "scribe_01", "generate", {"topic": "light"})
    assert result.output["content"] == "Light, everywhere."
    assert result.usage.calls == 4
    assert result.output["evolution"]["iterations"] == 1
