"""The Evolver against the fake Gemini server: critiques and regenerations are scripted
replies, and model calls are counted as the requests the server received."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from shared.config import Settings
from shared.db import Database
from tests.support.fake_gemini import FakeGemini, generate_reply

DRAFT = "Our new preset pack is out. It took a year. Have a look."


@pytest.fixture
def gemini(fake_gemini: FakeGemini, settings: Settings) -> FakeGemini:
    """The fake Gemini, installed for this test: two attempts per request."""
    fake_gemini.configure(settings, MODEL_MAX_ATTEMPTS=2, MODEL_TIMEOUT_SECONDS=2.0)
    return fake_gemini


def verdict(
    score: float,
    *,
    improve: bool = True,
    issues: Sequence[str] = ("the opening is flat",),
    suggestions: Sequence[str] = ("open with what the reader gains",),
    voice: float = 0.8,
) -> dict[str, Any]:
    return {
        "score": score,
        "shouldImprove": improve,
        "issues": list(issues),
        "suggestions": list(suggestions),
        "voiceConsistency": voice,
    }


def critiques(fake: FakeGemini, *scores: float) -> None:
    for score in scores:
        fake.script_json(verdict(score))


def revision(fake: FakeGemini, text: str) -> None:
    fake.script_json({"content": text})


def script_with_tokens(fake: FakeGemini, value: Any, tokens: int) -> None:
    """A JSON reply that reports ``tokens`` prompt tokens."""
    fake.script_reply(generate_reply(json.dumps(value), prompt_tokens=tokens))


def model_calls(fake: FakeGemini) -> int:
    return len(fake.of("generateContent"))


def prompt_text(fake: FakeGemini, index: int) -> str:
    """The user text of the ``index``-th generateContent request."""
    body = fake.of("generateContent")[index].body
    return "\n".join(p.get("text", "") for c in body["contents"] for p in c["parts"])


def evolutions(db: Database, user: str) -> list[dict[str, Any]]:
    with db.transaction() as tx:
        return tx.all(
            "SELECT agent_id, input_summary, output_summary, outcome, context "
            "FROM episodic_memories WHERE user_id = %s AND interaction_type = 'evolution' "
            "ORDER BY created_at, id",
            (user,),
        )
