"""A reply that does not parse or fit the schema gets exactly one repair attempt, then
becomes a typed failure the caller can degrade on."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from shared.model.gemini import GeminiModel
from shared.model.port import ModelFailure
from tests.model.conftest import Critique
from tests.support.fake_gemini import FakeGemini

GOOD = {"verdict": "keep", "findings": []}


def not_json(fake: FakeGemini) -> None:
    fake.script_text("Sure! Here is my critique: the draft is fine.")


def wrong_shape(fake: FakeGemini) -> None:
    fake.script_json({"verdict": "maybe", "findings": "none"})


def truncated_json(fake: FakeGemini) -> None:
    fake.script_text('{"verdict": "keep", "findings": [')


def no_candidates(fake: FakeGemini) -> None:
    fake.script_reply({"candidates": [], "promptFeedback": {"blockReason": "SAFETY"}})


GARBAGE = [not_json, wrong_shape, truncated_json, no_candidates]


@pytest.mark.parametrize("garbage", GARBAGE, ids=lambda g: g.__name__)
def test_garbage_twice_is_invalid_output_after_exactly_one_repair(
    gemini: GeminiModel, fake_gemini: FakeGemini, garbage: Callable[[FakeGemini], None]
) -> None:
    garbage(fake_gemini)
    garbage(fake_gemini)
    with pytest.raises(ModelFailure) as failure:
        gemini.generate_structured("Critique.", Critique)
    assert failure.value.kind == "invalid_output"
    assert failure.value.usage.calls == 2
    assert len(fake_gemini.of("generateContent")) == 2


@pytest.mark.parametrize("garbage", GARBAGE, ids=lambda g: g.__name__)
def test_a_repaired_reply_is_returned(
    gemini: GeminiModel, fake_gemini: FakeGemini, garbage: Callable[[FakeGemini], None]
) -> None:
    garbage(fake_gemini)
    fake_gemini.script_json(GOOD)
    result = gemini.generate_structured("Critique.", Critique)
    assert result.value == Critique.model_validate(GOOD)
    assert result.usage.calls == 2


def test_the_repair_shows_the_model_its_reply_and_what_was_wrong(
    gemini: GeminiModel, fake_gemini: FakeGemini
) -> None:
    bad = {"verdict": "maybe", "findings": []}
    fake_gemini.script_json(bad)
    fake_gemini.script_json(GOOD)
    gemini.generate_structured("Critique.", Critique)
    repair = fake_gemini.of("generateContent")[1].body
    turns = [(c["role"], c["parts"][0]["text"]) for c in repair["contents"]]
    assert turns[0] == ("user", "Critique.")
    assert turns[1] == ("model", json.dumps(bad))
    assert turns[2][0] == "user" and "verdict" in turns[2][1]
    assert repair["generationConfig"]["responseMimeType"] == "application/json"


def test_an_empty_text_reply_is_invalid_output(
    gemini: GeminiModel, fake_gemini: FakeGemini
) -> None:
    fake_gemini.script_reply({"candidates": []})
    with pytest.raises(ModelFailure) as failure:
        gemini.generate_text("Say something.")
    assert failure.value.kind == "invalid_output"
