"""Schemas and a Gemini adapter pointed at the session's fake Gemini server."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from shared.model.gemini import GeminiModel
from tests.support.fake_gemini import FakeGemini


class Finding(BaseModel):
    sentence: str
    severity: int = Field(ge=1, le=5)


class Critique(BaseModel):
    verdict: Literal["keep", "revise"]
    findings: list[Finding]
    note: str | None = None


class Tally(BaseModel):
    counts: dict[str, int]


@pytest.fixture
def gemini(fake_gemini: FakeGemini) -> GeminiModel:
    return adapter(fake_gemini)


def adapter(fake: FakeGemini, **env: Any) -> GeminiModel:
    return GeminiModel(fake.settings(**{"MODEL_MAX_ATTEMPTS": 3, **env}))
